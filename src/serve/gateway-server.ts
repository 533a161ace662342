import type { FastifyError, FastifyInstance } from 'fastify';
import type { SecretScrubber } from '../core/redact.js';
import { errorBodyFor } from './error-body.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';

/** What the gateway says of an error Fastify raised (a body too large, bad JSON) or one of its own. */
function clientMessage(error: FastifyError, status: number, bodyLimit: number): string {
  if (status === 413) return `keymux: the request body is larger than ${bodyLimit} bytes`;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'keymux: request bodies must be JSON';
  if (error instanceof SyntaxError || /JSON/.test(error.code ?? ''))
    return 'keymux: the request body is not valid JSON';
  if (status < 500) return 'keymux: the request could not be read';
  return 'keymux: the gateway failed to answer';
}

/** The Node server's own deadlines: headers, the whole request, idle kept-alive connections. */
export function serverTimeouts(o: ResolvedGatewayOptions) {
  return {
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    http: {
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      // How often Node checks those deadlines (its default is 30 s, longer than the deadlines).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(o.headersTimeoutMs / 2))),
    },
  };
}

/**
 * Errors Fastify raises (a body too large, bad JSON) and unknown routes, answered in the caller's
 * shape; a 5xx is logged with every key scrubbed from it.
 */
export function installErrorHandlers(
  app: FastifyInstance,
  options: ResolvedGatewayOptions,
  scrubber: SecretScrubber,
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500)
      options.logger?.error?.({ err: scrubber.scrub(String(error.stack ?? error)) }, 'keymux gateway error');
    if (status === 413) reply.header('connection', 'close');
    const limit = request.url.startsWith('/admin') ? options.adminBodyLimit : options.bodyLimit;
    return reply.code(status).send(errorBodyFor(request.url, status, clientMessage(error, status, limit)));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        errorBodyFor(request.url, 404, `keymux: no route ${request.method} ${request.url.split('?')[0]}`),
      ),
  );
}

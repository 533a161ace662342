import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBodyFor } from './error-body.js';
import { hasBody } from './request-guard.js';

/**
 * Answers a request from a hook, before its body is read, in the shape its caller reads. A body still
 * on its way is not read at all: the connection closes after the answer instead of draining it.
 */
export function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  if (hasBody(request.headers)) reply.header('connection', 'close');
  return reply
    .code(status)
    .headers(headers)
    .send(errorBodyFor(request.url, status, message));
}

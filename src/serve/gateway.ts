import Fastify, { type FastifyInstance } from 'fastify';
import { SecretScrubber } from '../core/redact.js';
import type { Multiplexer } from '../multiplexer.js';
import { adminGuard, registerAdminRoutes } from './admin-routes.js';
import { DASHBOARD_HEADERS, dashboardHtml } from './dashboard/page.js';
import { gatewayBanner } from './gateway-banner.js';
import {
  type GatewayOptions,
  isLoopback,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from './gateway-options.js';
import { registerGatewayRoutes } from './gateway-routes.js';
import { installErrorHandlers, serverTimeouts } from './gateway-server.js';
import { InFlight } from './in-flight.js';
import { createMetrics, type KeymuxMetrics } from './metrics.js';
import { RateHistory } from './rate-history.js';
import { refuse } from './refuse.js';
import { crossSiteRefusal } from './request-guard.js';
import { watchStoreStatus } from './store-status.js';
import { TokenCheck } from './token-check.js';
import { Upstream } from './upstream.js';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly metrics: KeymuxMetrics;
  readonly options: ResolvedGatewayOptions;
  /** Where it listens, once `listen` resolved: `http://127.0.0.1:8080`. */
  readonly url: string;
  listen(): Promise<string>;
  /**
   * Stops accepting, lets requests in flight (streams included) finish for up to `drainTimeoutMs`,
   * then cuts what is left. The multiplexer stays open: it is the caller's.
   */
  close(): Promise<void>;
}

function anyKeyUp(mux: Multiplexer): boolean {
  return Object.values(mux.getUsageStats().providers).some((p) => p.healthyKeys > 0);
}

/** The gateway over a multiplexer: provider routes, admin API, metrics, health and the dashboard. */
export function createGateway(mux: Multiplexer, options: GatewayOptions = {}): Gateway {
  const resolved = resolveGatewayOptions(options);
  const log = resolved.logger;
  const app = Fastify({
    logger: false,
    // The admin routes' limit; provider routes set their own, larger one.
    bodyLimit: resolved.adminBodyLimit,
    forceCloseConnections: 'idle',
    ...serverTimeouts(resolved),
  });
  const metrics = createMetrics(mux, {
    ...(resolved.registry === undefined ? { defaultMetrics: true } : { registry: resolved.registry }),
  });
  const history = new RateHistory(mux);
  const store = watchStoreStatus(mux, resolved.storeReason);
  const inFlight = new InFlight();
  const scrubber = new SecretScrubber();
  const upstream = new Upstream(mux.options.streamIdleTimeoutMs, scrubber);
  // Callback hooks: an async one costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    inFlight.track(reply.raw);
    const refusal = crossSiteRefusal(request.headers, request.method, resolved.allowedHosts);
    if (refusal !== undefined) {
      refuse(request, reply, refusal.status, refusal.message);
      return;
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const code = reply.statusCode;
    if (code === 429) history.gatewayLimited();
    metrics.observer.response(request.routeOptions.url ?? 'unmatched', code);
    if (code >= 400 && log !== undefined) {
      // The path only: a query may hold a client's credential (`?key=`).
      const at = request.url.indexOf('?');
      const entry = { method: request.method, path: at < 0 ? request.url : request.url.slice(0, at), code };
      if (code >= 500) log.warn(entry, 'keymux gateway answered with an error');
      else log.debug?.(entry, 'keymux gateway refused a request');
    }
    done();
  });
  installErrorHandlers(app, resolved, scrubber);
  app.register(async (scope) => {
    // Provider routes relay the client's bytes as they are: parsed once, for the token estimate only.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    registerGatewayRoutes(scope, {
      mux,
      clients: new TokenCheck(resolved.gatewayTokens),
      observer: metrics.observer,
      upstream,
      scrubber,
      bodyLimit: resolved.bodyLimit,
      observeLimits: (job, headers, model) => mux.observeLimitHeaders(job.key, headers, model),
    });
  });
  registerAdminRoutes(app, mux, resolved.adminToken);
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  // A store on its local share (Redis away) still serves, at that share: said, not a reason to be taken
  // out of rotation, which in an outage of Redis would take every replica out at once.
  app.get('/readyz', async (_request, reply) =>
    anyKeyUp(mux)
      ? reply.send({ status: 'ready', store: store.status() })
      : reply.code(503).send({ status: 'no key can serve', store: store.status() }),
  );
  const page = dashboardHtml();
  app.get('/', async (_request, reply) =>
    reply.headers(DASHBOARD_HEADERS).type('text/html; charset=utf-8').send(page),
  );
  // What /admin/stats shows, so the admin token guards it too.
  app.get('/dashboard/state', { onRequest: adminGuard(resolved.adminToken) }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({
      stats: mux.getUsageStats(),
      history: history.series(),
      adminTokenRequired: resolved.adminToken !== undefined,
    }),
  );
  let url = '';
  return {
    app,
    metrics,
    options: resolved,
    get url() {
      return url;
    },
    async listen() {
      await app.listen({ port: resolved.port, host: resolved.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : resolved.port;
      const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
      url = `http://${host}:${port}`;
      return url;
    },
    async close() {
      // Stop accepting first; then wait for what is in flight ourselves, since a stream relayed on a
      // hijacked reply is not something the HTTP server's own close waits for reliably.
      const closed = app.close();
      await inFlight.idle(resolved.drainTimeoutMs);
      app.server.closeAllConnections();
      try {
        await closed;
      } finally {
        metrics.stop();
        history.stop();
        store.stop();
        await upstream.close();
      }
    },
  };
}

/** Creates the gateway and listens; says where, with which keys, and who may use it. */
export async function startGateway(mux: Multiplexer, options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = createGateway(mux, options);
  const url = await gateway.listen();
  const { gatewayTokens, adminToken, host, logger, allowedHosts } = gateway.options;
  if (logger !== undefined) {
    const banner = gatewayBanner(url, mux.getUsageStats());
    logger.info(banner.fields, banner.text);
  }
  if (gatewayTokens.length === 0 && isLoopback(host))
    logger?.warn(
      { host },
      'no gateway tokens (KEYMUX_GATEWAY_TOKENS): loopback only, any local client may use the pool',
    );
  if (adminToken === undefined)
    logger?.warn({ host }, 'no admin token (KEYMUX_ADMIN_TOKEN): the admin API is open to local clients');
  if (allowedHosts === undefined && !isLoopback(host))
    logger?.info(
      { host },
      'any Host header is accepted (tokens guard every route); --allowed-host narrows it',
    );
  return gateway;
}

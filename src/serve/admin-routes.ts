import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyOptions, RateLimits } from '../config/options.js';
import { ConfigError } from '../core/errors.js';
import type { Multiplexer } from '../multiplexer.js';
import {
  type AddKeyBody,
  addKeySchema,
  describeIssues,
  removeKeySchema,
  strategySchema,
} from './admin-schemas.js';
import { adminErrorBody } from './error-body.js';
import { refuse } from './refuse.js';
import { contentTypeRefusal } from './request-guard.js';
import { TokenCheck } from './token-check.js';

interface KeyParams {
  readonly provider: string;
  readonly name: string;
}

function limitsOf(body: AddKeyBody): RateLimits | undefined {
  const seed = body.rateLimit;
  const merged = {
    ...(seed === undefined
      ? {}
      : {
          rpm: seed.requestsPerMinute,
          tpm: seed.tokensPerMinute,
          rpd: seed.requestsPerDay,
          tpd: seed.tokensPerDay,
        }),
    ...body.limits,
  };
  const defined = Object.entries(merged).filter(([, v]) => v !== undefined);
  return defined.length === 0 ? undefined : (Object.fromEntries(defined) as RateLimits);
}

function keyOptionsOf(body: AddKeyBody): KeyOptions {
  const limits = limitsOf(body);
  const weight = body.weight ?? body.priority;
  const optional = {
    name: body.name,
    limits,
    weight,
    enabled: body.enabled,
    tags: body.tags,
    maxConcurrentRequests: body.maxConcurrentRequests,
    queueSize: body.queueSize,
    baseURL: body.baseURL,
    model: body.model,
    quotaGroup: body.quotaGroup,
  };
  const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  return { ...defined, apiKey: body.apiKey ?? body.key ?? '' };
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send(adminErrorBody(400, message));
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).send(adminErrorBody(404, message));
}

/** The keys of a provider, or a 404 when it has none by that name. */
function hasKey(mux: Multiplexer, { provider, name }: KeyParams): boolean {
  return mux.keyNames(provider).includes(name);
}

/** Runs an operation; a ConfigError (never holding a key's value) is the caller's mistake: 400. */
function attempt(reply: FastifyReply, operation: () => unknown): FastifyReply {
  try {
    const result = operation();
    return reply.send(result ?? { ok: true });
  } catch (error) {
    if (error instanceof ConfigError) return badRequest(reply, error.message);
    throw error;
  }
}

/**
 * The admin token's check, as an `onRequest` hook: it runs before the body is read. Without a token
 * (loopback only) every request passes. A body must be JSON either way.
 */
export function adminGuard(
  adminToken: string | undefined,
): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  const check = new TokenCheck(adminToken === undefined ? [] : [adminToken]);
  return (request, reply, done) => {
    if (check.required) {
      const header = request.headers.authorization;
      const token =
        typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
      if (!check.matches(token)) {
        refuse(request, reply, 401, 'a valid admin token is required (Authorization: Bearer …)', {
          'www-authenticate': 'Bearer realm="keymux admin"',
        });
        return;
      }
    }
    const refusal = contentTypeRefusal(request.headers);
    if (refusal !== undefined) {
      refuse(request, reply, refusal.status, refusal.message);
      return;
    }
    done();
  };
}

/**
 * Seed 004's operations under `/admin`: keys (masked), stats, add/remove, enable/disable, reset and
 * strategy. A bearer token guards it, compared in constant time; without one (loopback only) it is open.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  mux: Multiplexer,
  adminToken: string | undefined,
): void {
  const guard = adminGuard(adminToken);
  app.register(
    async (admin) => {
      admin.addHook('onRequest', guard);
      admin.get('/keys', async () => {
        const stats = mux.getUsageStats();
        const providers = Object.fromEntries(
          Object.entries(stats.providers).map(([name, p]) => [name, { strategy: p.strategy, keys: p.keys }]),
        );
        return { generatedAt: stats.generatedAt, providers };
      });
      // One key: its state, usage and last health check (`lastCheck`, also in every entry of /keys).
      admin.get<{ Params: KeyParams }>('/keys/:provider/:name', async (request, reply) => {
        const { provider, name } = request.params;
        const key = mux.getUsageStats().providers[provider]?.keys.find((k) => k.name === name);
        return key === undefined
          ? notFound(reply, `${provider} has no key named "${name}"`)
          : reply.send({ provider, ...key });
      });
      admin.get('/stats', async () => mux.getUsageStats());
      admin.post('/keys', async (request, reply) => {
        const parsed = addKeySchema.safeParse(request.body);
        if (!parsed.success) return badRequest(reply, describeIssues(parsed.error));
        const { provider } = parsed.data;
        try {
          const name = mux.addKey(provider, keyOptionsOf(parsed.data));
          return reply.code(201).send({ provider, name });
        } catch (error) {
          if (error instanceof ConfigError) return badRequest(reply, error.message);
          throw error;
        }
      });
      const remove = (reply: FastifyReply, params: KeyParams): FastifyReply =>
        mux.removeKey(params.provider, params.name)
          ? reply.send({ ok: true })
          : notFound(reply, `${params.provider} has no key named "${params.name}"`);
      admin.delete<{ Params: KeyParams }>('/keys/:provider/:name', async (request, reply) =>
        remove(reply, request.params),
      );
      admin.post('/keys/remove', async (request, reply) => {
        const parsed = removeKeySchema.safeParse(request.body);
        if (!parsed.success) return badRequest(reply, describeIssues(parsed.error));
        return remove(reply, parsed.data);
      });
      const keyAction = (action: string, run: (p: KeyParams) => void): void => {
        admin.post<{ Params: KeyParams }>(`/keys/:provider/:name/${action}`, async (request, reply) => {
          if (!hasKey(mux, request.params))
            return notFound(reply, `${request.params.provider} has no key named "${request.params.name}"`);
          return attempt(reply, () => run(request.params));
        });
      };
      keyAction('enable', (p) => mux.enableKey(p.provider, p.name));
      keyAction('disable', (p) => mux.disableKey(p.provider, p.name));
      keyAction('reset', (p) => mux.resetKey(p.provider, p.name));
      admin.post<{ Params: { provider: string } }>('/providers/:provider/reset', async (request, reply) =>
        attempt(reply, () => mux.resetKey(request.params.provider)),
      );
      const setStrategy = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        const parsed = strategySchema.safeParse(request.body);
        if (!parsed.success) return badRequest(reply, describeIssues(parsed.error));
        return attempt(reply, () => {
          mux.setStrategy(parsed.data.strategy, parsed.data.provider);
          return { ok: true, strategy: parsed.data.strategy, provider: parsed.data.provider ?? null };
        });
      };
      // Seed 004's "force health check": each key's cheapest authenticated call, results masked.
      admin.post<{ Querystring: { provider?: string } }>('/health-check', async (request, reply) => {
        try {
          return reply.send({ results: await mux.checkKeys(request.query.provider) });
        } catch (error) {
          if (error instanceof ConfigError) return badRequest(reply, error.message);
          throw error;
        }
      });
      admin.put('/strategy', setStrategy);
      admin.post('/strategy', setStrategy);
    },
    { prefix: '/admin' },
  );
}

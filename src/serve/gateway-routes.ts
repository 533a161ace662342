import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { spendRequestOf } from '../clients/client-hints.js';
import { deadlineAt } from '../config/deadline.js';
import { DEADLINE_AT } from '../core/deadline.js';
import { isKeymuxError } from '../core/errors.js';
import { type FallbackGate, type FallbackReason, type ModelTarget, withGate } from '../core/fallback.js';
import { TRACE_SOURCE, type TraceSource } from '../core/telemetry.js';
import type { Multiplexer } from '../multiplexer.js';
import { ANTHROPIC_TOKEN_PROFILE } from '../providers/anthropic.js';
import { GEMINI_TOKEN_PROFILE } from '../providers/gemini.js';
import { OPENAI_TOKEN_PROFILE } from '../providers/openai.js';
import { estimateRequestTokens, type TokenProfile } from '../providers/wire-values.js';
import { withIncomingContext } from '../telemetry/propagation.js';
import { type CallHeaders, callHeaders } from './call-headers.js';
import { type Dialect, errorBody } from './error-body.js';
import { errorReply } from './gateway-error.js';
import { fallbacksHeader, retargetUpstream, type Served, servedHeaders } from './gateway-fallback.js';
import { type GatewayJobDeps, type JobResult, runGatewayJob } from './gateway-job.js';
import { refuse } from './refuse.js';
import { relayedHeaders, relayStream } from './relay.js';
import { contentTypeRefusal } from './request-guard.js';
import { earliestRetrySeconds } from './retry-after.js';
import { presentedToken, type TokenCheck } from './token-check.js';
import type { GatewayProvider, UpstreamRequest } from './upstream.js';

export interface GatewayContext extends GatewayJobDeps {
  readonly mux: Multiplexer;
  readonly clients: TokenCheck;
  /** Largest body of a provider request, in bytes. */
  readonly bodyLimit: number;
}

interface Route {
  readonly provider: GatewayProvider;
  readonly dialect: Dialect;
  readonly profile: TokenProfile;
  /** Client headers the provider should see. */
  readonly forward: readonly string[];
}

const ROUTES: Readonly<Record<GatewayProvider, Route>> = {
  openai: { provider: 'openai', dialect: 'openai', profile: OPENAI_TOKEN_PROFILE, forward: ['openai-beta'] },
  groq: { provider: 'groq', dialect: 'openai', profile: OPENAI_TOKEN_PROFILE, forward: [] },
  anthropic: {
    provider: 'anthropic',
    dialect: 'anthropic',
    profile: ANTHROPIC_TOKEN_PROFILE,
    forward: ['anthropic-version', 'anthropic-beta'],
  },
  gemini: { provider: 'gemini', dialect: 'gemini', profile: GEMINI_TOKEN_PROFILE, forward: [] },
};

const OPENAI_ENDPOINTS = ['chat/completions', 'completions', 'embeddings', 'responses'] as const;
/** A model name as Google writes them; `?`, `#`, `/` or `%` (decoded from the path) never reach the upstream path. */
const GEMINI_METHOD = /^[A-Za-z0-9][A-Za-z0-9._-]*:(generateContent|streamGenerateContent)$/;

function sendError(reply: FastifyReply, dialect: Dialect, status: number, message: string): FastifyReply {
  return reply.code(status).send(errorBody(dialect, status, message));
}

/** The client's query without its credential (`?key=` is how Gemini clients may send theirs). */
function queryWithoutKey(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return '';
  const params = new URLSearchParams(url.slice(at + 1));
  params.delete('key');
  const rest = params.toString();
  return rest === '' ? '' : `?${rest}`;
}

function forwarded(request: FastifyRequest, names: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function modelOf(route: Route, path: string, parsed: unknown): string | undefined {
  if (route.provider === 'gemini') return /\/models\/([^:]+):/.exec(path)?.[1];
  const model = (parsed as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}

/** One client request → one keymux job on the route's pool → the answer relayed as it comes. */
async function relay(
  ctx: GatewayContext,
  route: Route,
  path: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const raw = request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined;
  let parsed: unknown;
  try {
    parsed = raw === undefined ? undefined : JSON.parse(raw.toString('utf8'));
  } catch {
    return sendError(reply, route.dialect, 400, 'keymux: the request body is not valid JSON');
  }
  let override: readonly string[] | undefined;
  let call: CallHeaders;
  try {
    override = fallbacksHeader(request.headers['x-keymux-fallbacks']);
    call = callHeaders(request.headers['x-keymux-deadline'], request.headers['x-keymux-tag']);
  } catch (error) {
    return sendError(reply, route.dialect, 400, `keymux: ${(error as Error).message}`);
  }
  const model = modelOf(route, path, parsed);
  const upstream: UpstreamRequest = {
    provider: route.provider,
    model,
    method: request.method === 'GET' ? 'GET' : 'POST',
    path,
    query: route.provider === 'gemini' ? queryWithoutKey(request.url) : '',
    body: raw,
    headers: forwarded(request, route.forward),
  };
  const abort = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort(new Error('the client closed the connection'));
  });
  const startedAt = performance.now();
  const tokens = parsed === undefined ? 0 : estimateRequestTokens(parsed, route.profile);
  const served: Served = { provider: route.provider, model, reason: 'none' };
  // Worked out once: the models of the fallback chain share the request's deadline.
  const own = {
    ...(call.tag === undefined ? {} : { tag: call.tag }),
    ...(call.deadline === undefined
      ? {}
      : { [DEADLINE_AT]: deadlineAt(call.deadline, ctx.mux.options.clock) }),
  };
  // One target: the request as the client sent it, or aimed at a fallback (its own job, its own keys).
  const send = async (
    target: ModelTarget,
    gate: FallbackGate | undefined,
    reason: FallbackReason | undefined,
  ): Promise<JobResult> => {
    const moved = reason === undefined ? { request: upstream } : retargetUpstream(upstream, parsed, target);
    const sent = moved.request;
    const back = moved.back;
    const result = await ctx.mux.execute(
      sent.provider,
      async (client, job) => {
        const answer = await runGatewayJob(client, job, sent, startedAt, ctx);
        return back === undefined ? answer : back(answer);
      },
      withGate(
        {
          ...own,
          // The key's rate-limit state of this model paces the request (limits per model, see limitScope).
          ...(sent.model ? { model: sent.model } : {}),
          signal: abort.signal,
          tokens,
          [TRACE_SOURCE]: traceSource(sent, parsed),
        },
        gate,
      ),
      spendRequestOf(parsed, sent.model),
    );
    Object.assign(served, { provider: sent.provider, model: sent.model, reason: reason ?? 'none' });
    return result;
  };
  const run = (): Promise<JobResult> =>
    model === undefined
      ? send({ provider: route.provider, model: '' }, undefined, undefined)
      : ctx.mux.withFallbacks({ provider: route.provider, model }, override, send);
  let result: JobResult;
  try {
    // The caller's `traceparent` is the parent of the job's span.
    result = await (ctx.mux.options.telemetry === false ? run() : withIncomingContext(request.headers, run));
  } catch (error) {
    if (abort.signal.aborted) return reply.hijack();
    const answer = errorReply(error, route.dialect, () => earliestRetrySeconds(ctx.mux, route.provider));
    const tried = isKeymuxError(error) ? error.fallbacks.at(-1)?.reason : undefined;
    served.reason = tried === undefined || tried === 'bad-request' ? 'none' : tried;
    return reply
      .code(answer.status)
      .headers({ ...answer.headers, ...servedHeaders(served) })
      .send(ctx.scrubber.scrubJson(answer.body));
  }
  const headers = servedHeaders(served);
  if (result.kind === 'buffered')
    return reply.code(result.response.status).headers(relayedHeaders(result, headers)).send(result.body);
  reply.hijack();
  await relayStream(result, reply.raw, startedAt, ctx, route.dialect, headers);
  return undefined;
}

/** `gen_ai.operation.name` of a gateway route's path. */
const OPERATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/chat\/completions$|\/messages$|\/responses$/, 'chat'],
  [/\/completions$/, 'text_completion'],
  [/\/embeddings$|:(batchEmbedContents|embedContent)$/, 'embeddings'],
  [/:(generateContent|streamGenerateContent)$/, 'generate_content'],
];

/** What a gateway job is, for its spans (asked only when someone traces it). */
function traceSource(upstream: UpstreamRequest, parsed: unknown): TraceSource {
  return {
    describe: () => ({
      operation: OPERATIONS.find(([pattern]) => pattern.test(upstream.path))?.[1],
      model: upstream.model,
      stream:
        upstream.path.endsWith(':streamGenerateContent') ||
        (parsed as { stream?: unknown } | undefined)?.stream === true,
      body: parsed,
    }),
  };
}

/** OpenAI's routes (also under `/openai`), Groq's, Anthropic's Messages and Gemini's generateContent. */
export function registerGatewayRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  // Before the body is read: a client without a token never gets to upload 64 MiB.
  app.addHook('onRequest', (request, reply, done) => {
    if (ctx.clients.required) {
      const at = request.url.indexOf('?');
      const query = at < 0 ? '' : request.url.slice(at + 1);
      if (!ctx.clients.matches(presentedToken(request.headers, query))) {
        refuse(request, reply, 401, 'keymux: a valid gateway token is required');
        return;
      }
    }
    const refusal = contentTypeRefusal(request.headers);
    if (refusal !== undefined) {
      refuse(request, reply, refusal.status, refusal.message);
      return;
    }
    done();
  });
  const limit = { bodyLimit: ctx.bodyLimit };
  const mounts: ReadonlyArray<readonly [string, Route, string]> = [
    ['/v1', ROUTES.openai, ''],
    ['/openai/v1', ROUTES.openai, ''],
    ['/groq/openai/v1', ROUTES.groq, '/openai/v1'],
  ];
  for (const [prefix, route, upstreamPrefix] of mounts) {
    for (const endpoint of OPENAI_ENDPOINTS) {
      app.post(`${prefix}/${endpoint}`, limit, (request, reply) =>
        relay(ctx, route, `${upstreamPrefix}/${endpoint}`, request, reply),
      );
    }
    app.get(`${prefix}/models`, (request, reply) =>
      relay(ctx, route, `${upstreamPrefix}/models`, request, reply),
    );
  }
  app.post('/anthropic/v1/messages', limit, (request, reply) =>
    relay(ctx, ROUTES.anthropic, '/v1/messages', request, reply),
  );
  for (const version of ['v1beta', 'v1']) {
    app.post(`/gemini/${version}/models/*`, limit, (request, reply) => {
      const method = (request.params as { '*': string })['*'];
      if (!GEMINI_METHOD.test(method))
        return sendError(reply, 'gemini', 404, 'keymux: no such Gemini model method');
      return relay(ctx, ROUTES.gemini, `/${version}/models/${method}`, request, reply);
    });
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context.js';
import { missingAnthropicVersion } from '../dialects/anthropic-dialect.js';
import { type ChatRequest, header, type Reply } from '../dialects/dialect.js';
import { modelsListBody } from '../dialects/models-list.js';
import { embeddingsTokens, parseEmbeddings } from '../dialects/openai-embeddings.js';
import { BEFORE_LIMITS } from '../faults/faults.js';
import type { MutableLedgerEntry } from '../ledger.js';
import { modelScope } from '../limits/model-scope.js';
import { overloadEffect } from '../limits/overload.js';
import { handleBatchRequest } from './batch-routes.js';
import { readJsonBody, sendJson } from './http-io.js';
import { dialectForPath, type Route, routeFor } from './routes.js';
import { serveAdmitted } from './serve-admitted.js';
import { faultReply } from './wire-faults.js';

/** One HTTP request, from routing to the ledger: auth, validation, injected 429s, the pool's limits. */
export async function handleRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (await handleBatchRequest(ctx, req, res, url)) return;
  const route = routeFor(req.method, url.pathname, header(req, 'anthropic-version') !== undefined);
  const body = await readJsonBody(req);
  if (route === undefined) {
    const reply = dialectForPath(url.pathname).problem({
      kind: 'not-found',
      message: `Unknown request URL: ${req.method} ${url.pathname}.`,
    });
    sendJson(res, reply.status, reply.headers, reply.body);
    return;
  }
  const { dialect } = route;
  const at = ctx.options.now();
  const id = ctx.nextId();
  const responseId = `req_emu${id.toString(16).padStart(12, '0')}`;
  const sentKey = dialect.apiKey(req, url);
  const key = sentKey === undefined ? undefined : ctx.keys.byValue(sentKey);
  const known = key !== undefined && (key.provider === undefined || key.provider === dialect.provider);
  const parsed = route.endpoint === 'models' ? MODELS_REQUEST : parse(route, body, url);
  const entry = ctx.ledger.open({
    requestId: header(req, 'x-keymux-job-id') ?? header(req, 'x-request-id'),
    responseId,
    provider: dialect.provider,
    endpoint: route.endpoint,
    key: known ? key.name : undefined,
    pool: known ? key.pool : undefined,
    model: typeof parsed === 'string' ? '' : parsed.model,
    stream: typeof parsed === 'string' ? false : parsed.stream,
    status: 0,
    outcome: 'pending',
    fault: undefined,
    scripted: false,
    overloaded: false,
    admitted: false,
    inputTokens: typeof parsed === 'string' ? 0 : parsed.inputTokens,
    outputTokens: 0,
    chargedTokens: 0,
    startedAt: at,
    endedAt: undefined,
  });
  const finish = (
    reply: Reply,
    outcome: MutableLedgerEntry['outcome'],
    extra: Record<string, string> = {},
  ): void => {
    sendJson(res, reply.status, { ...dialect.idHeaders(responseId), ...extra, ...reply.headers }, reply.body);
    Object.assign(entry, { status: reply.status, outcome, endedAt: ctx.options.now() });
  };
  if (!known) {
    finish(dialect.problem({ kind: 'unauthorized', missing: sentKey === undefined }), 'unauthorized');
    return;
  }
  const pool = ctx.keys.pool(key.pool)!;
  if (dialect.provider === 'anthropic' && missingAnthropicVersion(req)) {
    finish(dialect.problem({ kind: 'invalid', message: 'anthropic-version: header is required' }), 'invalid');
    return;
  }
  if (typeof parsed === 'string') {
    finish(
      dialect.problem({ kind: 'invalid', message: parsed }),
      'invalid',
      dialect.limitHeaders(pool.state(at), at),
    );
    return;
  }
  const scope = modelScope(dialect.provider, parsed.model);
  const target = {
    key: key.name,
    provider: dialect.provider,
    model: parsed.model,
    elapsedMs: at - ctx.startedAt,
  };
  // A key's script, while it lasts, decides instead of the injected faults.
  const script = ctx.scripts.next(key.name);
  entry.scripted = script !== 'none';
  const early =
    script === 'none'
      ? ctx.faults.pick(target, 'before-limits')
      : script.fault !== undefined && BEFORE_LIMITS.has(script.fault.kind)
        ? script.fault
        : undefined;
  if (early !== undefined) {
    entry.fault = early.kind;
    const headers = dialect.limitHeaders(pool.state(at, undefined, scope), at);
    finish(faultReply(dialect, early, parsed.model), 'fault', headers);
    return;
  }
  if (route.endpoint === 'models') {
    // Not charged and no limit headers; a scripted step answers with its status.
    const scripted = script === 'none' ? undefined : script.fault;
    if (scripted !== undefined) {
      entry.fault = scripted.kind;
      finish(faultReply(dialect, scripted, ''), 'fault');
    } else finish({ status: 200, headers: {}, body: modelsListBody(dialect.provider) }, 'ok');
    return;
  }
  const charge = route.endpoint === 'embeddings' ? parsed.inputTokens : dialect.chargeUpFront(parsed);
  const admission = pool.admit(charge, at, scope);
  if (!admission.ok) {
    if (script !== 'none') ctx.scripts.unshift(key.name, script.step);
    finish(
      dialect.problem({ kind: 'limited', refusal: admission, model: parsed.model }),
      'limited',
      dialect.limitHeaders(pool.state(at, admission.dimension, scope), at),
    );
    return;
  }
  Object.assign(entry, { admitted: true, chargedTokens: charge });
  ctx.ledger.enter(pool.name);
  const keyInFlight = (ctx.keyInFlight.get(key.name) ?? 0) + 1;
  ctx.keyInFlight.set(key.name, keyInFlight);
  try {
    const scripted = script === 'none' ? undefined : { fault: script.fault };
    const overload = overloadEffect(ctx.overload, key.name, keyInFlight, ctx.random);
    entry.overloaded = overload.above;
    await serveAdmitted({
      ctx,
      req,
      res,
      dialect,
      route,
      request: parsed,
      body,
      pool,
      scope,
      entry,
      target,
      scripted,
      overload,
    });
  } finally {
    ctx.keyInFlight.set(key.name, (ctx.keyInFlight.get(key.name) ?? 1) - 1);
    pool.release();
    ctx.ledger.leave(pool.name);
    entry.endedAt ??= ctx.options.now();
  }
}

const MODELS_REQUEST: ChatRequest = {
  model: '',
  stream: false,
  includeUsage: false,
  inputTokens: 0,
  maxTokens: undefined,
};

/** Chat and embeddings requests both reduce to a `ChatRequest` for charging. */
function parse(route: Route, body: unknown, url: URL): ChatRequest | string {
  if (body instanceof Error) return body.message;
  if (route.endpoint === 'chat') return route.dialect.parseChat(body, url);
  const embeddings = parseEmbeddings(body);
  if (typeof embeddings === 'string') return embeddings;
  return {
    model: embeddings.model,
    stream: false,
    includeUsage: false,
    inputTokens: embeddingsTokens(embeddings),
    maxTokens: undefined,
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec } from '../config/options.js';
import type { EmulatorContext } from '../context.js';
import type { ChatAnswer, ChatRequest, Dialect } from '../dialects/dialect.js';
import { embeddingsBody, parseEmbeddings } from '../dialects/openai-embeddings.js';
import { generateText } from '../dialects/text-gen.js';
import type { FaultTarget } from '../faults/faults.js';
import { drawTiming, scaled, totalMs } from '../faults/latency.js';
import type { MutableLedgerEntry } from '../ledger.js';
import type { OverloadEffect } from '../limits/overload.js';
import type { QuotaPool } from '../limits/quota-pool.js';
import { sendJson, sleep } from './http-io.js';
import type { Route } from './routes.js';
import { answerWithFault, writeAndFlush } from './wire-faults.js';

export interface Admitted {
  readonly ctx: EmulatorContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly dialect: Dialect;
  readonly route: Route;
  readonly request: ChatRequest;
  readonly body: unknown;
  readonly pool: QuotaPool;
  /** The model scope whose buckets the request was charged to (see `modelScope`). */
  readonly scope: string;
  readonly entry: MutableLedgerEntry;
  readonly target: FaultTarget;
  /** Present when the key's script decided this request (its fault, or none: answer normally); no injector pick then. */
  readonly scripted?: { readonly fault: FaultSpec | undefined } | undefined;
  readonly overload: OverloadEffect;
}

/** Resolves when the signal aborts: the client gave up or the emulator closes. */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Aborts when the client goes away before the response is complete, or when the emulator closes. */
function requestSignal(res: ServerResponse, ctx: EmulatorContext): AbortSignal {
  const controller = new AbortController();
  if (ctx.closing.aborted) controller.abort();
  ctx.active.add(controller);
  res.once('close', () => {
    ctx.active.delete(controller);
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** An admitted request: injected faults, latency, then the answer whole or streamed. */
export async function serveAdmitted(a: Admitted): Promise<void> {
  const { ctx, res, dialect, pool, scope, entry, request } = a;
  const now = ctx.options.now;
  const signal = requestSignal(res, ctx);
  const headers = (): Record<string, string> => ({
    ...dialect.idHeaders(entry.responseId),
    ...dialect.limitHeaders(pool.state(now(), undefined, scope), now()),
  });
  const end = (status: number, outcome: MutableLedgerEntry['outcome']): void => {
    if (outcome === 'client-closed' && ctx.outage.active) {
      // Not the client's doing: the outage destroyed the socket.
      ctx.outage.countCut();
      Object.assign(entry, { status, outcome: 'fault', fault: 'outage', endedAt: now() });
      return;
    }
    Object.assign(entry, { status, outcome, endedAt: now() });
  };
  const fault =
    (a.scripted === undefined ? ctx.faults.pick(a.target, 'after-limits') : a.scripted.fault) ??
    a.overload.fault;
  entry.fault = fault?.kind;
  if (fault !== undefined && fault.kind !== 'cut' && fault.kind !== 'stall') {
    const status = await answerWithFault({
      fault,
      res,
      socket: a.req.socket,
      dialect,
      model: request.model,
      signal,
      headers,
    });
    return end(status, 'fault');
  }
  const cutAfter = fault?.kind === 'cut' ? (fault.cutAfterChunks ?? 2) : undefined;
  const stallAfter = fault?.kind === 'stall' ? (fault.stallAfterChunks ?? 2) : undefined;
  const timing = scaled(drawTiming(ctx.options.latency, ctx.random), a.overload.latencyFactor);

  if (a.route.endpoint === 'embeddings') {
    const embeddings = parseEmbeddings(a.body);
    if (!(await sleep(timing.firstMs, signal)) || typeof embeddings === 'string')
      return end(0, 'client-closed');
    sendJson(res, 200, headers(), embeddingsBody(embeddings, ctx.options.embeddingDimensions));
    return end(200, 'ok');
  }

  const generated = generateText(ctx.random, ctx.options.outputTokens, request.maxTokens);
  const answer: ChatAnswer = {
    id: objectId(dialect.provider, ctx.nextId()),
    model: request.model,
    created: Math.floor(now() / 1000),
    ...generated,
    inputTokens: request.inputTokens,
    outputTokens: generated.pieces.length,
  };
  entry.outputTokens = answer.outputTokens;
  const settle = (): void => {
    const final = dialect.settle(request, answer);
    pool.adjustTokens(final - entry.chargedTokens, now(), scope);
    entry.chargedTokens = final;
  };

  if (!request.stream) {
    if (!(await sleep(totalMs(timing, answer.outputTokens), signal))) return end(0, 'client-closed');
    settle();
    if (cutAfter !== undefined || stallAfter !== undefined) {
      const text = JSON.stringify(dialect.chatBody(answer, request));
      res.writeHead(200, { ...headers(), 'content-type': 'application/json' });
      await writeAndFlush(res, text.slice(0, Math.floor(text.length / 2)));
      if (stallAfter !== undefined) await untilAborted(signal);
      else res.socket?.destroy();
      return end(200, 'fault');
    }
    sendJson(res, 200, headers(), dialect.chatBody(answer, request));
    return end(200, 'ok');
  }

  const frames = dialect.streamFrames(answer, request);
  res.writeHead(200, {
    ...headers(),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  res.flushHeaders();
  let ok = await sleep(timing.firstMs, signal);
  for (let i = 0; ok && i < frames.length; i++) {
    if (i === cutAfter || i === stallAfter) break;
    await writeAndFlush(res, frames[i] ?? '');
    const opening = i < dialect.openingFrames;
    if (timing.perTokenMs > 0 && !opening && i < frames.length - 1)
      ok = await sleep(timing.perTokenMs, signal);
  }
  settle();
  if (ok && stallAfter !== undefined && stallAfter < frames.length) {
    // The socket stays open and silent until the client gives up or the emulator closes.
    await untilAborted(signal);
    return end(200, 'fault');
  }
  if (cutAfter !== undefined && cutAfter < frames.length) {
    res.socket?.destroy();
    return end(200, 'fault');
  }
  if (!ok) return end(200, 'client-closed');
  res.end();
  return end(200, 'ok');
}

function objectId(provider: Dialect['provider'], n: number): string {
  const suffix = n.toString(16).padStart(16, '0');
  return provider === 'anthropic'
    ? `msg_emu${suffix}`
    : provider === 'gemini'
      ? `emu${suffix}`
      : `chatcmpl-emu${suffix}`;
}

import type OpenAI from 'openai';
import { spendRequestOf } from '../../clients/client-hints.js';
import type { Strategy } from '../../config/options.js';
import { QueueFullError } from '../../core/errors.js';
import type { Multiplexer } from '../../multiplexer.js';
import { readOpenAIUsage } from '../../providers/index.js';
import type { BatchRequest } from './batch-line.js';
import { type BatchOutputLine, errorLine, responseLine } from './output-line.js';

/** A line whose request never left: it was still queued when the run stopped, so it stays for the resume. */
export const NOT_SENT = Symbol('not sent');

export interface SendOptions {
  readonly strategy: Strategy | undefined;
  readonly tokens: number;
  readonly signal: AbortSignal;
  /** Called when the request is about to leave (first attempt), so a stop knows not to abandon it. */
  onSent(): void;
}

/**
 * Sends one line through keymux. The custom_id goes along as `x-keymux-job-id`, so the provider's
 * side (the emulator's ledger) can show that no line was sent twice.
 */
export async function sendLine(
  mux: Multiplexer,
  request: BatchRequest,
  options: SendOptions,
): Promise<BatchOutputLine | typeof NOT_SENT> {
  for (;;) {
    const line = await sendOnce(mux, request, options);
    if (line !== QUEUES_FULL) return line;
    // Every usable key's queue is full (keys went out of service): backpressure, not a failed line.
    await nextSettled(mux, options.signal);
  }
}

const QUEUES_FULL = Symbol('queues full');

/** Resolves when any job settles (room in a queue), after at most a second, or on `signal`. */
function nextSettled(mux: Multiplexer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      off();
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const off = mux.on('job-settled', done);
    const timer = setTimeout(done, 1000);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function sendOnce(
  mux: Multiplexer,
  request: BatchRequest,
  options: SendOptions,
): Promise<BatchOutputLine | typeof NOT_SENT | typeof QUEUES_FULL> {
  let sent = false;
  try {
    const answer = await mux.execute(
      'openai',
      async (client, ctx) => {
        if (!sent) options.onSent();
        sent = true;
        const { data, response } = await (client as OpenAI)
          .post<unknown>(request.url.replace(/^\/v1/, ''), {
            body: request.body,
            headers: { 'x-keymux-job-id': request.customId },
            signal: ctx.signal,
          })
          .withResponse();
        const usage = readOpenAIUsage(data);
        if (usage) ctx.reportUsage(usage);
        return { status: response.status, requestId: response.headers.get('x-request-id'), body: data };
      },
      {
        tokens: options.tokens,
        signal: options.signal,
        ...(options.strategy ? { strategy: options.strategy } : {}),
      },
      spendRequestOf(request.body),
    );
    return responseLine(request.customId, answer.status, answer.requestId, answer.body);
  } catch (error) {
    if (!sent && options.signal.aborted) return NOT_SENT;
    if (!sent && error instanceof QueueFullError) return QUEUES_FULL;
    return failureLine(request.customId, error);
  }
}

/** An HTTP answer (400, or the last 429/5xx) is kept as the Batch API keeps it; anything else is an error line. */
function failureLine(customId: string, error: unknown): BatchOutputLine {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const api = e as { status?: unknown; error?: unknown; requestID?: unknown };
    if (typeof api.status === 'number') {
      const requestId = typeof api.requestID === 'string' ? api.requestID : null;
      return responseLine(customId, api.status, requestId, { error: api.error ?? { message: e.message } });
    }
  }
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return errorLine(customId, typeof code === 'string' ? code.toLowerCase() : 'request_failed', message);
}

/**
 * `--offload`: the line goes to the Batch API when the engine takes it (its custom_id is the batch's, so
 * a resumed run collects an open batch instead of paying twice); a failed, expired or late line, or one the
 * engine does not take, is sent as `sendLine` sends it.
 */
export async function offloadLine(
  mux: Multiplexer,
  request: BatchRequest,
  options: SendOptions,
  deadlineAt: number,
): Promise<BatchOutputLine | typeof NOT_SENT> {
  let sync: BatchOutputLine | typeof NOT_SENT | undefined;
  const body = request.body as Record<string, unknown>;
  const offloaded =
    typeof body.model !== 'string' || request.url !== '/v1/chat/completions'
      ? undefined
      : mux.offload(
          {
            provider: 'openai',
            model: body.model,
            body,
            deadlineAt,
            tag: undefined,
            spend: spendRequestOf(body),
            customId: request.customId,
            sync: async () => {
              sync = await sendLine(mux, request, options);
              return sync;
            },
          },
          false,
        );
  if (offloaded === undefined) return sendLine(mux, request, options);
  options.onSent();
  try {
    const answer = await offloaded;
    return sync ?? responseLine(request.customId, 200, null, answer);
  } catch (error) {
    // Stopped while its batch ran: the batch stays written down, the resumed run collects it.
    if (options.signal.aborted) return NOT_SENT;
    return failureLine(request.customId, error);
  }
}

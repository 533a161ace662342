import type { TraceSource } from '../core/telemetry.js';
import { isPlainObject, isStreamRequest, type Step, spendRequestOf } from './client-hints.js';
import type { WrapContext } from './wrap-context.js';

/** The requests a Batch API takes, per provider: OpenAI's chat completions, Anthropic's messages. */
const BATCHABLE: Readonly<Record<string, string>> = {
  openai: 'chat.completions.create',
  anthropic: 'messages.create',
};

/**
 * The call handed to the offload engine when `batchOffload` is on and the call may wait (a batchable
 * request with a deadline); undefined when it is sent now. `sync` is the call's ordinary path.
 */
export function offloadCall(
  ctx: WrapContext,
  path: readonly Step[],
  args: readonly unknown[],
  deadlineAt: number | undefined,
  sync: () => Promise<unknown>,
  source?: TraceSource,
): Promise<unknown> | undefined {
  const { mux, hints, call } = ctx;
  if (mux.offload === undefined || deadlineAt === undefined) return undefined;
  const body = args[0];
  const dotted = path.flatMap((s) => ('get' in s ? [s.get] : [])).join('.');
  if (BATCHABLE[hints.provider] !== dotted || !isPlainObject(body) || typeof body.model !== 'string')
    return undefined;
  return mux.offload(
    {
      provider: hints.provider,
      model: body.model,
      body,
      deadlineAt,
      tag: call.tag,
      customId: idempotencyKeyOf(args[1]),
      spend: spendRequestOf(body),
      sync,
      source,
    },
    isStreamRequest(path, args),
  );
}

/**
 * The SDK's own per-request `idempotencyKey` (`create(body, { idempotencyKey })`), used as the line's
 * custom_id: a process that repeats the call with the same key after a restart collects the batch line
 * instead of submitting it again. openai-node (6.x, client.js `buildHeaders`) and @anthropic-ai/sdk accept
 * the option in their RequestOptions but send it as a header only when the client class sets
 * `idempotencyHeader`, which neither OpenAI's nor Anthropic's does: no request carries one by default.
 */
function idempotencyKeyOf(options: unknown): string | undefined {
  if (!isPlainObject(options)) return undefined;
  const key = options.idempotencyKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

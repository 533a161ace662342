import type { OffloadRequest } from './clients/wrap-context.js';
import { resolveOffloadOptions } from './config/offload-options.js';
import type { CallOptions } from './config/options.js';
import type { Clock } from './core/clock.js';
import type { JobContext } from './core/job-context.js';
import type { OffloadJournal } from './core/offload-journal.js';
import type { TraceSource } from './core/telemetry.js';
import { BatchOffloader } from './offload/batch-offloader.js';
import { memoryJournal } from './offload/memory-journal.js';
import type { ProviderAdapter } from './providers/adapter.js';
import type { Spend } from './spend/spend.js';

interface OffloadParts {
  readonly options: unknown;
  readonly clock: Clock;
  readonly spend: Spend;
  readonly journal: OffloadJournal | undefined;
  adapterOf(provider: string): ProviderAdapter | undefined;
  /** The dispatcher's execute: control calls go to a key (the named one when given) without budgets. */
  execute<T>(
    provider: string,
    fn: (client: unknown, ctx: JobContext) => Promise<T>,
    options: CallOptions,
  ): Promise<T>;
  /** The dispatcher's job ids, spans and `job-settled` for an offloaded call (see Dispatcher.outside). */
  outside(
    provider: string,
    source: TraceSource | undefined,
  ): (ok: boolean, error: unknown, resent: boolean) => void;
}

/** The multiplexer's offload engine, wired to its keys, clock, spend and store; undefined when off. */
export function createOffload(parts: OffloadParts): BatchOffloader | undefined {
  const options = resolveOffloadOptions(parts.options);
  if (options === undefined) return undefined;
  return new BatchOffloader(options, {
    clock: parts.clock,
    journal: options.journal ?? parts.journal ?? memoryJournal(),
    onKey: (provider, key, fn) =>
      parts.execute(
        provider,
        (client, ctx) => fn(client, ctx.key.name),
        key === undefined ? { tokens: 0 } : { strategy: 'specific', keyName: key, tokens: 0 },
      ),
    started: (call) => parts.outside(call.provider, (call as OffloadCall).source),
    charge: (call) => {
      const request = call as OffloadCall;
      const ticket = parts.spend.offloaded(call.provider, request.tag, request.spend);
      const charge = (t: Awaited<typeof ticket>) => ({
        settle: (key: string, body: unknown) =>
          t.settle(
            { provider: call.provider, name: key, label: key },
            parts.adapterOf(call.provider)?.readUsage?.(body),
          ),
        release: () => t.release(),
      });
      return ticket instanceof Promise ? ticket.then(charge) : charge(ticket);
    },
  });
}

type OffloadCall = Parameters<BatchOffloader['offload']>[0] &
  Pick<OffloadRequest, 'tag' | 'spend' | 'source'>;

/** Offloads the call when the engine takes it; undefined when it must go synchronously. */
export function offloadCall(offloader: BatchOffloader | undefined, request: OffloadRequest, stream: boolean) {
  if (offloader === undefined || !offloader.accepts(request.provider, request.deadlineAt, stream))
    return undefined;
  const call: OffloadCall = { ...request, provider: request.provider as 'openai' | 'anthropic' };
  return offloader.offload(call);
}

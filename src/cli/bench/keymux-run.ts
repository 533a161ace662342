import type { RateLimits, Strategy } from '../../config/options.js';
import { Multiplexer } from '../../multiplexer.js';
import { redisStoreFromUrl } from '../../store/redis-from-url.js';
import type { KeyStateStore } from '../../store/store.js';
import { watchProviderWait } from '../shared/provider-wait.js';
import type { RunInput } from './baseline-runs.js';
import type { StopReason } from './bench-result.js';
import { driveWorkload } from './drive-workload.js';
import { RequestCapError } from './request-cap.js';
import { estimateJobTokens } from './workload.js';

export interface KeymuxRunInput extends RunInput {
  readonly strategy: Strategy;
  /** Given to every key; undefined to let keymux learn them from the provider's headers. */
  readonly limits: RateLimits | undefined;
  readonly maxConcurrentPerKey: number | 'auto';
  /** Keep the keys' state in this Redis, under a prefix of this run's own. */
  readonly redis?: string | undefined;
  /** Or in this store, made (and closed) by the caller: processes that share one set of keys. */
  readonly store?: KeyStateStore | undefined;
}

/**
 * (c) keymux over the same keys, driven as hard as the baselines. Each job is a `mux.execute` whose
 * function makes the very SDK call the baselines make, on the SDK client keymux built for the key
 * (the SDK's retries off: keymux is the only retry loop). `getOpenAIClient()` routes calls the same way.
 */
export async function runKeymux(input: KeymuxRunInput): Promise<StopReason> {
  const own = input.redis
    ? redisStoreFromUrl(input.redis, { prefix: `bench-${process.pid}-${Date.now()}-${input.strategy}` })
    : undefined;
  const store = input.store ?? own;
  const mux = new Multiplexer({
    maxConcurrentRequests: input.maxConcurrentPerKey,
    strategy: input.strategy,
    ...(store ? { store } : {}),
  });
  for (const key of input.target.keys) {
    mux.addKey(input.kit.provider, {
      apiKey: key.apiKey,
      name: key.name,
      queueSize: Math.max(100, input.concurrency),
      ...(input.target.baseURL === undefined ? {} : { baseURL: input.target.baseURL }),
      ...(input.limits === undefined ? {} : { limits: input.limits }),
    });
  }
  for (const key of mux.getUsageStats().providers[input.kit.provider]?.keys ?? [])
    input.recorder.slotsOf(key.name, key.concurrency);
  // The cap is checked as each attempt starts; past it the run stops and the attempt is aborted unsent.
  const capped = new AbortController();
  const signal = AbortSignal.any([input.signal, capped.signal]);
  const unsubscribe = [
    watchProviderWait(mux, input.kit.provider, (text) => {
      input.recorder.status = text;
    }),
    mux.on('request', () => {
      if (!input.cap.take()) capped.abort(new RequestCapError(`request cap of ${input.cap.limit} reached`));
    }),
    mux.on('success', (e) => input.recorder.attempt(e.key.name, 200)),
    mux.on('concurrency-changed', (e) => input.recorder.slotsOf(e.key.name, e.concurrency)),
    mux.on('failure', (e) => input.recorder.attempt(e.key.name, e.status ?? 0)),
    mux.on('store-degraded', (e) => input.recorder.storeEvent(e.type, e.at, e.reason)),
    mux.on('store-recovered', (e) => input.recorder.storeEvent(e.type, e.at)),
  ];
  try {
    const stoppedBy = await driveWorkload(
      {
        ...input,
        signal,
        run: (job, jobSignal) =>
          mux.execute(
            input.kit.provider,
            async (client, ctx) => {
              const usage = await input.kit.call(client, job, {
                headers: { 'x-keymux-job-id': job.id },
                signal: ctx.signal,
              });
              if (usage) ctx.reportUsage(usage);
              return { key: ctx.key.name, usage };
            },
            { strategy: input.strategy, tokens: estimateJobTokens(job), signal: jobSignal },
          ),
      },
      input.recorder,
    );
    return capped.signal.aborted && !input.signal.aborted ? 'request-cap' : stoppedBy;
  } finally {
    for (const off of unsubscribe) off();
    await mux.close();
    own?.close();
  }
}

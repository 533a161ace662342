import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { KeyCheckResult } from '../core/key-check.js';
import type { KeyPool } from '../dispatch/key-registry.js';
import type { KeyCheck, KeyWorker, KeyWorkerStats } from '../dispatch/key-worker.js';
import type { CheckResponse } from '../providers/adapter.js';
import { checkedLimits } from './checked-limits.js';

/** A check that hangs is a failed check: the key's health cannot wait on it forever. */
export const CHECK_TIMEOUT_MS = 10_000;

/** One key to check, with the pool that knows its provider's adapter. */
export interface CheckTarget {
  readonly pool: KeyPool;
  readonly worker: KeyWorker;
}

/**
 * Runs health checks: each key's cheapest authenticated call, outside its queue and its rate buckets,
 * at most one at a time per key and only while the key has a free slot. The result drives the key's
 * health as a real call's would.
 */
export class KeyChecker {
  readonly #running = new WeakMap<KeyWorker, Promise<KeyCheckResult>>();
  readonly #checkedAt = new WeakMap<KeyWorker, number>();

  constructor(
    readonly clock: Clock,
    readonly events: EventBus,
    /** Aborted by `close()`: checks in flight stop, none start. */
    readonly closing: AbortSignal,
  ) {}

  /** When the key was last checked, on the injected clock. */
  lastCheckedAt(worker: KeyWorker): number | undefined {
    return this.#checkedAt.get(worker);
  }

  /** Checks one key; a check already running on it is shared rather than doubled. */
  check(target: CheckTarget): Promise<KeyCheckResult> {
    const running = this.#running.get(target.worker);
    if (running) return running;
    const result = this.#run(target).finally(() => this.#running.delete(target.worker));
    this.#running.set(target.worker, result);
    return result;
  }

  async #run({ pool, worker }: CheckTarget): Promise<KeyCheckResult> {
    const { ref } = worker;
    const base = { provider: ref.provider, name: ref.name, label: ref.label };
    const check = pool.adapter.check;
    const { state } = worker.stats(this.clock.now());
    if (state === 'disabled' || check === undefined) {
      const skipped = check === undefined ? 'no-check' : 'disabled';
      return { ...base, ok: false, skipped, status: undefined, failureClass: undefined, latencyMs: 0, state };
    }
    const key = pool.check(worker);
    if (!key) throw new Error(`${ref.provider} key "${ref.name}" is not of this pool`);
    await this.#freeSlot(pool, worker);
    let startedAt = this.clock.now();
    let response: CheckResponse | undefined;
    let failure: Failure | undefined;
    const call = new AbortController();
    try {
      if (this.closing.aborted) throw this.closing.reason;
      const client = await key.checkClient();
      // Latency and deadline are the call's: loading the SDK the first time is not the provider's doing.
      startedAt = this.clock.now();
      response = await this.#withDeadline(call, (signal) => check(client, signal));
    } catch (error) {
      failure = this.#classify(key, error, call.signal);
    }
    const at = this.clock.now();
    // A key removed while its check ran is gone: its events would bring it back into the stats.
    const current = pool.worker(ref.name) === worker;
    const after = current ? key.recordCheck(failure, at) : worker.stats(at).state;
    const limits = checkedLimits(
      response?.headers === undefined ? undefined : pool.adapter.readRateLimits?.(response.headers),
    );
    const result: KeyCheckResult = {
      ...base,
      ok: failure === undefined,
      status: failure === undefined ? (response?.status ?? 200) : failure.status,
      failureClass: failure?.class,
      ...(failure === undefined ? {} : { message: failure.message }),
      latencyMs: at - startedAt,
      state: after,
      ...(limits === undefined ? {} : { limits }),
    };
    this.#checkedAt.set(worker, at);
    if (current) this.events.emit({ type: 'key-checked', at, key: ref, result });
    return result;
  }

  /** Runs the call with the check's deadline, on the injected clock, and close() as its signal. */
  async #withDeadline(
    call: AbortController,
    run: (signal: AbortSignal) => Promise<CheckResponse | undefined>,
  ): Promise<CheckResponse> {
    const timer = new AbortController();
    const stop = (): void => call.abort(this.closing.reason);
    this.closing.addEventListener('abort', stop, { once: true });
    this.clock.sleep(CHECK_TIMEOUT_MS, timer.signal, { unref: true }).then(
      () => call.abort(new Error(`the health check took longer than ${CHECK_TIMEOUT_MS} ms`)),
      () => undefined,
    );
    try {
      return (await run(call.signal)) ?? {};
    } finally {
      timer.abort();
      this.closing.removeEventListener('abort', stop);
    }
  }

  /** A check never runs beyond the key's concurrency: it waits for a slot, or for close(). */
  async #freeSlot(pool: KeyPool, worker: KeyWorker): Promise<void> {
    const { closing } = this;
    while (isFull(worker.stats(this.clock.now())) && !closing.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          cancel();
          closing.removeEventListener('abort', done);
          resolve();
        };
        const cancel = pool.onChange(done);
        closing.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** A check that ran out of time is a transient failure; one stopped by close() says nothing of the key. */
  #classify(key: KeyCheck, error: unknown, signal: AbortSignal): Failure {
    const closed = this.closing.aborted;
    if (signal.aborted && !closed) {
      const message = (signal.reason as Error).message;
      return { class: 'transient', status: undefined, retryAfterMs: undefined, message, error };
    }
    const failure = key.classify(error);
    return closed ? { ...failure, class: 'aborted' } : failure;
  }
}

function isFull({ inFlight, slots }: KeyWorkerStats): boolean {
  return inFlight >= slots;
}

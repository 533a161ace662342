import type { ResolvedOptions } from '../config/options.js';
import {
  type AttemptRecord,
  isKeymuxError,
  NoAvailableKeyError,
  ProviderError,
  RateLimitedError,
  RetriesExhaustedError,
} from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { type Failure, RETRYABLE } from '../core/failure.js';
import type { KeyPool } from '../keys/key-pool.js';
import type { Job } from '../worker/job-context.js';
import type { AttemptOutcome, KeyWorker } from '../worker/key-worker.js';
import { type Choice, chooseNow, waitForKey } from './choose-key.js';

const NO_ATTEMPTS: readonly AttemptRecord[] = Object.freeze([]);

/**
 * The attempt loop: pick an eligible key, run the job on it, and on a retryable failure move to another
 * key at once. Bounded by `maxRetries` attempts; a bad request or an abort ends the job at once.
 * Written by hand rather than with p-retry: failover needs no delay between attempts (waiting is per
 * key, in runOnKey), and p-retry cost about 40 µs per call here, more than a whole job's scheduling.
 */
export async function dispatch<T>(
  pool: KeyPool,
  job: Job<T>,
  choice: Choice,
  options: ResolvedOptions,
  events: EventBus,
  onSettled: (job: Job<T>) => void,
): Promise<T> {
  // Most jobs succeed at once: their failed attempts list is this shared empty one.
  let attempts: readonly AttemptRecord[] = NO_ATTEMPTS;
  // Attempts that count toward maxRetries: faults met while the whole provider is down do not, for a while.
  let spent = 0;
  let faultingSince: number | undefined;
  let ok = false;
  try {
    for (;;) {
      const attempt = attempts.length + 1;
      // Pick and hand over in the same tick, so the next pick already sees this key's load.
      const worker = chooseOrExplain(pool, choice, job.tokens, options, attempts);
      const outcome = await (worker
        ? worker.run(job, attempt)
        : waitThenRun(pool, choice, options, job, attempts));
      if (outcome.ok) {
        ok = true;
        return outcome.value;
      }
      // The key went out of service before the call started: no attempt was spent.
      if (outcome.skipped) continue;
      const record = toRecord(outcome.failure, attempt, outcome.key.name, outcome.key.label);
      attempts = [...attempts, record];
      if (!RETRYABLE.has(outcome.failure.class)) throw finalError(outcome.failure, record, pool);
      const now = options.clock.now();
      faultingSince = outcome.failure.class === 'transient' ? (faultingSince ?? now) : undefined;
      if (!waitingOutOutage(pool, faultingSince, now, options)) spent++;
      if (spent >= options.maxRetries) throw exhausted(attempts, pool);
      events.emit({ type: 'retry', at: now, key: outcome.key, jobId: job.id, attempt });
      await pauseAfterFaults(attempts, options, job, pool);
    }
  } finally {
    events.emit({
      type: 'job-settled',
      at: options.clock.now(),
      provider: pool.provider,
      jobId: job.id,
      ok,
      attempts: attempts.length,
    });
    onSettled(job);
  }
}

/**
 * Failover is immediate, but when the job's last two attempts both met a fault of the service (5xx,
 * timeouts, refused connections) on different keys, the fault is likely the provider's: the job waits
 * a backoff (half fixed, half jittered) before its next attempt, so a short outage does not use up
 * every attempt within milliseconds.
 */
async function pauseAfterFaults(
  attempts: readonly AttemptRecord[],
  options: ResolvedOptions,
  job: Job<unknown>,
  pool: KeyPool,
): Promise<void> {
  let streak = 0;
  for (let i = attempts.length - 1; i >= 0 && attempts[i]!.failureClass === 'transient'; i--) streak++;
  if (streak < 2) return;
  // Through an outage of the whole provider, probe at least once per breakerBaseMs.
  const cap = pool.guard?.degraded
    ? Math.min(options.maxRetryDelay, options.breakerBaseMs)
    : options.maxRetryDelay;
  const ceiling = Math.min(cap, options.initialRetryDelay * options.backoffFactor ** (streak - 2));
  const delay = ceiling / 2 + (options.random() * ceiling) / 2;
  if (delay <= 0) return;
  pool.waiting++;
  try {
    await options.clock.sleep(delay, job.cancel.signal);
  } finally {
    pool.waiting--;
  }
}

/**
 * While the pool is degraded (more keys failing than the ejection ceiling allows: the provider is down),
 * a job's faults do not use up its attempts, so it waits the outage out, probing. Not forever: once it
 * has met faults for `cooldownMs` (the longest a key stays out), they count again.
 */
function waitingOutOutage(
  pool: KeyPool,
  faultingSince: number | undefined,
  now: number,
  options: ResolvedOptions,
): boolean {
  return (
    pool.guard?.degraded === true && faultingSince !== undefined && now - faultingSince < options.cooldownMs
  );
}

/** An eligible key now, or undefined; errors that end the job (unknown key name) are thrown as is. */
function chooseOrExplain(
  pool: KeyPool,
  choice: Choice,
  tokens: number,
  options: ResolvedOptions,
  attempts: readonly AttemptRecord[],
): KeyWorker | undefined {
  try {
    return chooseNow(pool, choice, tokens, options.clock.now());
  } catch (error) {
    throw explain(error, attempts, pool);
  }
}

/** No key is eligible now: waits for one (or fails when none ever will be), then runs the attempt on it. */
async function waitThenRun<T>(
  pool: KeyPool,
  choice: Choice,
  options: ResolvedOptions,
  job: Job<T>,
  attempts: readonly AttemptRecord[],
): Promise<AttemptOutcome<T>> {
  try {
    for (;;) {
      await waitForKey(pool, choice, options.clock, job.cancel);
      const worker = chooseNow(pool, choice, job.tokens, options.clock.now());
      if (worker) return await worker.run(job, attempts.length + 1);
    }
  } catch (error) {
    throw explain(error, attempts, pool);
  }
}

/** Keys ran out after some attempts: the attempts say more than "no key". */
function explain(error: unknown, attempts: readonly AttemptRecord[], pool: KeyPool): unknown {
  return error instanceof NoAvailableKeyError && attempts.length > 0 ? exhausted(attempts, pool) : error;
}

function toRecord(failure: Failure, attempt: number, keyName: string, keyLabel: string): AttemptRecord {
  return {
    attempt,
    keyName,
    keyLabel,
    failureClass: failure.class,
    status: failure.status,
    message: failure.message,
    error: failure.error,
  };
}

function finalError(failure: Failure, record: AttemptRecord, pool: KeyPool): unknown {
  // An abort rejects with the signal's reason, as given.
  if (failure.class === 'aborted') return failure.error;
  if (isKeymuxError(failure.error)) return failure.error;
  // No provider status: the caller's own function threw, and its error passes through as it is.
  if (failure.status === undefined && failure.class === 'bad-request') return failure.error;
  return new ProviderError(
    `${pool.provider} rejected the request: ${failure.message}`,
    failure.class,
    failure.status,
    {
      cause: failure.error,
      provider: pool.provider,
      keyName: record.keyName,
      keyLabel: record.keyLabel,
    },
  );
}

function exhausted(attempts: readonly AttemptRecord[], pool: KeyPool): Error {
  const last = attempts[attempts.length - 1]!;
  const keys = { provider: pool.provider, keyName: last.keyName, keyLabel: last.keyLabel };
  // Every attempt met a 429: the caller learns when the pool can take the job again.
  if (attempts.every((a) => a.failureClass === 'rate-limited')) {
    return new RateLimitedError(
      `${pool.provider}: every attempt was rate limited (${attempts.length}); last on ${last.keyName} (${last.keyLabel})`,
      nextReadyIn(pool),
      attempts,
      { ...keys, cause: last.error },
    );
  }
  return new RetriesExhaustedError(
    `${pool.provider}: all ${attempts.length} attempts failed; last on ${last.keyName} (${last.keyLabel}): ${last.message}`,
    attempts,
    { cause: last.error, provider: pool.provider, keyName: last.keyName, keyLabel: last.keyLabel },
  );
}

/** Ms until the earliest key of the pool may be tried again; undefined when none will be. */
function nextReadyIn(pool: KeyPool): number | undefined {
  const now = pool.workers[0]?.deps.clock.now();
  if (now === undefined) return undefined;
  let soonest: number | undefined;
  for (const worker of pool.workers) {
    const at = worker.deps.health.readyAt(now);
    if (at !== undefined) soonest = Math.min(soonest ?? Number.POSITIVE_INFINITY, at - now);
  }
  return soonest;
}

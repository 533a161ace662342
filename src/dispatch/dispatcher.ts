import pRetry, { AbortError } from 'p-retry';
import type { ResolvedOptions, Strategy } from '../config/options.js';
import { type AttemptRecord, isKeymuxError, ProviderError, RetriesExhaustedError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { type Failure, RETRYABLE } from '../core/failure.js';
import type { KeyPool } from '../keys/key-pool.js';
import type { Job } from '../worker/job-context.js';
import { chooseKey } from './choose-key.js';

/** A retryable failure, carried through p-retry to the next attempt. */
class AttemptFailed extends Error {
  constructor(readonly record: AttemptRecord) {
    super(record.message);
  }
}

/** A key was lost between pick and start: try again without spending an attempt. */
class Skipped extends Error {}

export interface Choice {
  readonly strategy: Strategy;
  readonly keyName: string | undefined;
}

/**
 * The attempt loop: pick an eligible key, run the job on it, and on a retryable failure move to another
 * key at once. Bounded by `maxRetries` attempts; a bad request or an abort ends the job at once.
 */
export async function dispatch<T>(
  pool: KeyPool,
  job: Job<T>,
  choice: Choice,
  options: ResolvedOptions,
  events: EventBus,
): Promise<T> {
  const attempts: AttemptRecord[] = [];
  let ok = false;
  try {
    const value = await pRetry(
      async () => {
        const attempt = attempts.length + 1;
        const worker = await chooseKey(pool, choice, options.clock, job.signal).catch((error: unknown) => {
          throw new AbortError(error instanceof Error ? error : new Error(String(error)));
        });
        const outcome = await worker.run(job, attempt);
        if (outcome.ok) return outcome.value;
        if (outcome.skipped) throw new Skipped();
        const record = toRecord(outcome.failure, attempt, worker.ref.name, worker.ref.label);
        attempts.push(record);
        if (!RETRYABLE.has(outcome.failure.class))
          throw new AbortError(finalError(outcome.failure, record, pool));
        if (attempt >= options.maxRetries) throw new AbortError(exhausted(attempts, pool));
        events.emit({ type: 'retry', at: options.clock.now(), key: worker.ref, jobId: job.id, attempt });
        throw new AttemptFailed(record);
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        shouldConsumeRetry: ({ error }) => !(error instanceof Skipped),
      },
    );
    ok = true;
    return value;
  } catch (error) {
    throw error instanceof AbortReason ? error.reason : error;
  } finally {
    events.emit({
      type: 'job-settled',
      at: options.clock.now(),
      provider: pool.provider,
      jobId: job.id,
      ok,
      attempts: attempts.length,
    });
  }
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

function finalError(failure: Failure, record: AttemptRecord, pool: KeyPool): Error {
  if (failure.class === 'aborted') {
    return failure.error instanceof Error ? failure.error : new AbortReason(failure.error);
  }
  if (isKeymuxError(failure.error)) return failure.error;
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
  return new RetriesExhaustedError(
    `${pool.provider}: all ${attempts.length} attempts failed; last on ${last.keyName} (${last.keyLabel}): ${last.message}`,
    attempts,
    { cause: last.error, provider: pool.provider, keyName: last.keyName, keyLabel: last.keyLabel },
  );
}

/** p-retry only passes Errors through; a non-Error abort reason rides inside one and is unwrapped above. */
class AbortReason extends Error {
  constructor(readonly reason: unknown) {
    super('aborted');
  }
}

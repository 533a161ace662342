import type { Strategy } from '../config/options.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, NoAvailableKeyError, QueueFullError } from '../core/errors.js';
import type { KeyPool } from '../keys/key-pool.js';
import type { Cancellation } from '../worker/cancellation.js';
import type { KeyWorker } from '../worker/key-worker.js';
import { pick } from './strategies.js';

/** How the caller asked for a key: a strategy, and the key's name with `specific`. */
export interface Choice {
  readonly strategy: Strategy;
  readonly keyName: string | undefined;
}

/**
 * Picks an eligible key by strategy, or undefined when none is eligible now. Synchronous on purpose:
 * the caller hands the job to the key in the same tick, so the next pick already sees its load.
 */
export function chooseNow(pool: KeyPool, choice: Choice, now: number): KeyWorker | undefined {
  const candidates = candidatesOf(pool, choice);
  const eligible = (worker: KeyWorker): boolean => worker.isEligible(now);
  return choice.strategy === 'specific'
    ? candidates.find(eligible)
    : pick(choice.strategy, candidates, eligible, pool.pickState, pool.random);
}

/**
 * When no key is eligible but some will be (cooling down, circuit open, a half-open probe in flight),
 * waits for the earliest, or for a change in the pool, within the job's signal. Fails at once when no
 * key can ever serve, or when every usable key's queue is full.
 */
export async function waitForKey(
  pool: KeyPool,
  choice: Choice,
  clock: Clock,
  cancel: Cancellation,
): Promise<void> {
  cancel.throwIfAborted();
  const now = clock.now();
  await waitForChange(pool, clock, untilReady(pool, candidatesOf(pool, choice), now), cancel);
}

/**
 * No key is eligible now: how long until one may be. Throws when none ever will be, or when every
 * usable key's queue is full.
 */
function untilReady(pool: KeyPool, candidates: readonly KeyWorker[], now: number): number {
  let wakeAt = Number.POSITIVE_INFINITY;
  let usable = 0;
  let full = 0;
  for (const worker of candidates) {
    const readyAt = worker.deps.health.readyAt(now);
    if (readyAt === undefined) continue;
    usable++;
    if (!worker.hasQueueRoom) full++;
    else if (readyAt > now) wakeAt = Math.min(wakeAt, readyAt);
  }
  if (usable === 0) {
    throw new NoAvailableKeyError(
      `${pool.provider}: no key can serve (${candidates.length} keys, all disabled or unavailable)`,
      { provider: pool.provider },
    );
  }
  if (full === usable) {
    throw new QueueFullError(`${pool.provider}: the queue of every usable key is full`, {
      provider: pool.provider,
    });
  }
  // A key with room whose half-open probe is in flight is ready "now": wait for the probe to settle.
  return wakeAt - now;
}

function candidatesOf(pool: KeyPool, choice: Choice): readonly KeyWorker[] {
  if (choice.strategy !== 'specific') return pool.workers;
  const worker = choice.keyName === undefined ? undefined : pool.get(choice.keyName);
  if (!worker) {
    throw new ConfigError('keyName', `the \`specific\` strategy needs the name of a ${pool.provider} key`, {
      provider: pool.provider,
    });
  }
  return [worker];
}

const MAX_TIMER_MS = 2 ** 31 - 1;

async function waitForChange(pool: KeyPool, clock: Clock, ms: number, cancel: Cancellation): Promise<void> {
  const timer = new AbortController();
  const stop = (): void => timer.abort();
  cancel.onAbort(stop);
  // An abort ends the sleep, which ends the race; the check below then throws the reason.
  const sleep = clock.sleep(Number.isFinite(ms) ? ms : MAX_TIMER_MS, timer.signal).catch(() => undefined);
  try {
    await Promise.race([pool.changed(), sleep]);
  } finally {
    cancel.offAbort(stop);
    timer.abort();
  }
  cancel.throwIfAborted();
}

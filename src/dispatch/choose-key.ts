import type { Strategy } from '../config/options.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, NoAvailableKeyError, QueueFullError } from '../core/errors.js';
import type { Cancellation } from './cancellation.js';
import type { KeyPool } from './key-pool.js';
import type { KeyLane } from './key-worker.js';
import { pick } from './strategies.js';

/** How the caller asked for a key: a strategy, and the key's name with `specific`. */
export interface Choice {
  readonly strategy: Strategy;
  readonly keyName: string | undefined;
}

/**
 * Picks, by strategy, a key that can start the job at once (a free slot, its rate limits allow a send, its
 * health lets it serve), or undefined when none can. `specific` takes its key when it may queue there.
 * Synchronous on purpose: the caller hands the job to the key in the same tick, so the next pick already
 * sees its load and its rate limits' new schedule.
 */
export function chooseNow(pool: KeyPool, choice: Choice, tokens: number, now: number): KeyLane | undefined {
  const candidates = candidatesOf(pool, choice);
  if (choice.strategy === 'specific') return candidates.find((worker) => worker.isEligible(now));
  return pick(
    choice.strategy,
    candidates,
    (worker) => worker.canStartNow(tokens, now),
    pool.pickState,
    pool.random,
  );
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
function untilReady(pool: KeyPool, candidates: readonly KeyLane[], now: number): number {
  let wakeAt = Number.POSITIVE_INFINITY;
  let usable = 0;
  let full = 0;
  for (const worker of candidates) {
    const readyAt = worker.readyAt(now);
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
  // A key with room whose half-open probe is in flight is ready "now": wait for the probe's verdict,
  // which notifies the pool (the timer below is only a backstop).
  return Number.isFinite(wakeAt) ? wakeAt - now : MAX_WAIT_MS;
}

/** A backstop for waits that a pool change ends: a change always comes first. */
const MAX_WAIT_MS = 60_000;

function candidatesOf(pool: KeyPool, choice: Choice): readonly KeyLane[] {
  if (choice.strategy !== 'specific') return pool.lanes;
  const worker = choice.keyName === undefined ? undefined : pool.get(choice.keyName);
  if (!worker) {
    throw new ConfigError('keyName', `the \`specific\` strategy needs the name of a ${pool.provider} key`, {
      provider: pool.provider,
    });
  }
  return [worker];
}

async function waitForChange(pool: KeyPool, clock: Clock, ms: number, cancel: Cancellation): Promise<void> {
  const timer = new AbortController();
  const stop = (): void => timer.abort();
  cancel.onAbort(stop);
  // A change in the pool, the earliest key's time, or an abort ends the wait; nothing is left behind.
  const forget = pool.onChange(stop);
  pool.waiting++;
  try {
    await clock.sleep(ms, timer.signal).catch(() => undefined);
  } finally {
    pool.waiting--;
    forget();
    cancel.offAbort(stop);
    timer.abort();
  }
  cancel.throwIfAborted();
}

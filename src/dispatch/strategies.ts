import type { Strategy } from '../config/options.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, NoAvailableKeyError, QueueFullError } from '../core/errors.js';
import type { PickState } from '../core/pick-state.js';
import type { Cancellation } from './job-context.js';
import type { KeyLane } from './key-lane.js';
import type { KeyPool } from './key-registry.js';

/** What a strategy may know of a key: a read-only view, so strategies stay pure and testable. */
export interface Pickable {
  readonly name: string;
  readonly weight: number;
  /** 0–100. */
  readonly score: number;
  /** (queued + in flight) / concurrency. */
  readonly load: number;
  /** Fraction of the tightest rate limit still free: 0–1. */
  readonly headroom: number;
  /** Jobs assigned so far (queued, in flight or done). */
  readonly requests: number;
  /** Order of the last assignment: higher is more recent. */
  readonly lastAssigned: number;
}

type Compare<K> = (a: K, b: K) => number;
const byLastUse: Compare<Pickable> = (a, b) => a.lastAssigned - b.lastAssigned;
const byRequests: Compare<Pickable> = (a, b) => a.requests - b.requests || byLastUse(a, b);
const byHeadroom: Compare<Pickable> = (a, b) => b.headroom - a.headroom || byLastUse(a, b);

/**
 * Picks one of the `keys` that pass `eligible`, or undefined when none does. One pass over the keys
 * and no allocation: this runs once per job, over up to thousands of keys.
 */
export function pick<K extends Pickable>(
  strategy: Exclude<Strategy, 'specific'>,
  keys: readonly K[],
  eligible: (key: K) => boolean,
  state: PickState,
  random: () => number,
): K | undefined {
  switch (strategy) {
    case 'round-robin':
      return roundRobin(keys, eligible, state);
    case 'random':
      return nth(keys, eligible, Math.floor(random() * count(keys, eligible)));
    case 'lru':
      return minBy(keys, eligible, byLastUse);
    case 'least-used':
      return minBy(keys, eligible, byRequests);
    case 'least-loaded':
      return keys.length > EXACT_UP_TO
        ? (leastLoaded(sample(keys, eligible, random), () => true) ?? leastLoaded(keys, eligible))
        : leastLoaded(keys, eligible);
    case 'weighted':
      return weighted(keys, eligible, random);
  }
}

function roundRobin<K>(keys: readonly K[], eligible: (key: K) => boolean, state: PickState): K | undefined {
  const n = keys.length;
  for (let step = 0; step < n; step++) {
    const i = (state.cursor + step) % n;
    if (eligible(keys[i]!)) {
      state.cursor = (i + 1) % n;
      return keys[i];
    }
  }
  return undefined;
}

function count<K>(keys: readonly K[], eligible: (key: K) => boolean): number {
  let n = 0;
  for (const k of keys) if (eligible(k)) n++;
  return n;
}

function nth<K>(keys: readonly K[], eligible: (key: K) => boolean, index: number): K | undefined {
  let seen = 0;
  let last: K | undefined;
  for (const k of keys) {
    if (!eligible(k)) continue;
    if (seen++ === index) return k;
    last = k;
  }
  return last;
}

function weightOf(k: Pickable): number {
  return k.weight * Math.max(k.score, 1);
}

function weighted<K extends Pickable>(
  keys: readonly K[],
  eligible: (key: K) => boolean,
  random: () => number,
) {
  let total = 0;
  for (const k of keys) if (eligible(k)) total += weightOf(k);
  let point = random() * total;
  let last: K | undefined;
  for (const k of keys) {
    if (!eligible(k)) continue;
    last = k;
    point -= weightOf(k);
    if (point < 0) return k;
  }
  return last;
}

/**
 * Above this many keys, least-loaded compares a random sample of eligible keys instead of all of them
 * (the "power of d choices": balance stays close to the exact pick, and a pick costs O(d), not O(n)).
 */
export const EXACT_UP_TO = 64;
const SAMPLE = 8;
const sampleScratch: Pickable[] = [];

/** Up to SAMPLE distinct-index eligible keys drawn at random (4 × SAMPLE draws at most). */
function sample<K extends Pickable>(
  keys: readonly K[],
  eligible: (key: K) => boolean,
  random: () => number,
): K[] {
  const out = sampleScratch as K[];
  out.length = 0;
  for (let draw = 0; draw < 4 * SAMPLE && out.length < SAMPLE; draw++) {
    const k = keys[Math.floor(random() * keys.length)]!;
    if (eligible(k) && !out.includes(k)) out.push(k);
  }
  return out;
}

/** minBy by load, reading each key's load once: this scan is the whole cost of a pick over many keys. */
function leastLoaded<K extends Pickable>(keys: readonly K[], eligible: (key: K) => boolean): K | undefined {
  let best: K | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    if (!eligible(k)) continue;
    const load = k.load;
    if (load < bestLoad || (load === bestLoad && best !== undefined && byHeadroom(k, best) < 0)) {
      best = k;
      bestLoad = load;
    }
  }
  return best;
}

/** The first eligible key that no other sorts before; ties keep the pool's order. */
function minBy<K>(keys: readonly K[], eligible: (key: K) => boolean, compare: Compare<K>): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (eligible(k) && (best === undefined || compare(k, best) < 0)) best = k;
  }
  return best;
}

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

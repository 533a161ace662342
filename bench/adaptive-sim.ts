import { seededRandom } from '../src/emulator/random.js';
import { AdaptiveConcurrency } from '../src/policy/adaptive-concurrency.js';

/**
 * A discrete-event simulation of keys against a provider, on a virtual clock (no real waits): jobs wait
 * in one shared backlog; a key with a free slot takes the next one, waits in that slot for its rate
 * bucket (a GCRA bucket, as providers keep them) and sends it. A failed job goes back to the front of the
 * backlog (keymux fails it over). Used by `npm run bench:adaptive` and by the unit tests.
 */
export interface ServerModel {
  /** Requests per minute each key may send (the provider's limit, known to keymux). */
  readonly rpm: number;
  /** Requests the bucket lets through at once. @default 1 */
  readonly burst?: number;
  /** Mean latency of a call, ms; each call draws from mean × [0.5, 1.5). */
  readonly latencyMs: number;
  /**
   * A struggling provider: a call arriving when more than this many calls of its key are in flight
   * takes twice as long, and fails with a 5xx at the end with probability 1 − N / load (the server
   * really serves N at a time; the excess times out or is shed after it queued).
   */
  readonly overloadAbove?: number;
}

export interface SimInput {
  readonly keys: number;
  /** `'auto'` or a fixed number of slots per key. */
  readonly concurrency: number | 'auto';
  readonly server: ServerModel;
  /** Jobs to complete; the backlog always holds all not yet done ("enough jobs outstanding"). */
  readonly jobs: number;
  /** Whether keymux knows the keys' rate (configured or learned). @default true */
  readonly rateKnown?: boolean;
  readonly seed?: number;
}

export interface SimResult {
  readonly succeeded: number;
  readonly failed5xx: number;
  readonly durationMs: number;
  /** Successful calls per second, over the whole run. */
  readonly goodputRps: number;
  /** goodput as a share of the keys' rate limits. */
  readonly capacityShare: number;
  /** Each key's limit over time: [ms, limit] on every change. */
  readonly limits: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** The mean limit of each key over the second half of the run. */
  readonly settledLimit: number;
  readonly finalLimits: readonly number[];
}

interface SimKey {
  readonly governor: AdaptiveConcurrency;
  slots: number;
  serverLoad: number;
  tat: number;
}

export function simulate(input: SimInput): SimResult {
  const { server } = input;
  const random = seededRandom(input.seed ?? 1);
  const interval = 60_000 / server.rpm;
  const burst = server.burst ?? 1;
  const events = new EventQueue();
  let backlog = input.jobs;
  let succeeded = 0;
  let failed5xx = 0;
  let now = 0;
  const limits: Array<Array<[number, number]>> = [];
  const keys: SimKey[] = [];
  for (let i = 0; i < input.keys; i++) {
    const history: Array<[number, number]> = [];
    const governor = new AdaptiveConcurrency({
      maxConcurrentRequests: input.concurrency,
      allowedRate: () => (input.rateKnown === false ? undefined : server.rpm / 60_000),
    });
    history.push([0, governor.limit]);
    governor.onChange((limit) => history.push([now, limit]));
    limits.push(history);
    keys.push({ governor, slots: 0, serverLoad: 0, tat: 0 });
  }

  const fill = (key: SimKey): void => {
    while (backlog > 0 && key.slots < key.governor.limit) {
      backlog--;
      key.slots++;
      // The job holds its slot while it waits for the bucket, as in the key worker.
      const sendAt = Math.max(now, key.tat - (burst - 1) * interval);
      key.tat = Math.max(key.tat, sendAt) + interval;
      events.push(sendAt, () => send(key));
    }
  };

  const send = (key: SimKey): void => {
    const startedAt = now;
    key.governor.onStart(now);
    key.serverLoad++;
    const n = server.overloadAbove ?? Number.POSITIVE_INFINITY;
    const overloaded = key.serverLoad > n;
    const latency = server.latencyMs * (0.5 + random()) * (overloaded ? 2 : 1);
    const fails = overloaded && random() < 1 - n / key.serverLoad;
    events.push(now + latency, () => {
      key.serverLoad--;
      key.slots--;
      if (fails) {
        failed5xx++;
        backlog++;
        key.governor.onFailure({ class: 'transient', latencyMs: now - startedAt, now });
      } else {
        succeeded++;
        key.governor.onSuccess({ latencyMs: now - startedAt, now, saturated: backlog > 0 });
      }
      for (const k of keys) fill(k);
    });
  };

  for (const key of keys) fill(key);
  for (let event = events.pop(); event && succeeded < input.jobs; event = events.pop()) {
    now = event.at;
    event.run();
  }
  const durationMs = now;
  const goodputRps = (succeeded / durationMs) * 1000;
  const capacityRps = (input.keys * server.rpm) / 60;
  return {
    succeeded,
    failed5xx,
    durationMs,
    goodputRps,
    capacityShare: goodputRps / capacityRps,
    limits,
    settledLimit: mean(limits.map((h) => timeWeightedMean(h, durationMs / 2, durationMs))),
    finalLimits: keys.map((k) => k.governor.limit),
  };
}

function timeWeightedMean(
  history: ReadonlyArray<readonly [number, number]>,
  from: number,
  to: number,
): number {
  let area = 0;
  for (let i = 0; i < history.length; i++) {
    const [at, limit] = history[i]!;
    const end = history[i + 1]?.[0] ?? to;
    const a = Math.max(at, from);
    const b = Math.min(end, to);
    if (b > a) area += limit * (b - a);
  }
  return area / (to - from);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** A binary min-heap of events by time, then by insertion order. */
class EventQueue {
  readonly #heap: SimEvent[] = [];
  #seq = 0;

  push(at: number, run: () => void): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, run });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): SimEvent | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || !last) return top;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

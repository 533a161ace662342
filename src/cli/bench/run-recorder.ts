import type { TokenUsage } from '../../core/events.js';

/** One HTTP request of a run, as the client saw it. */
export interface AttemptRecord {
  readonly at: number;
  readonly key: string;
  /** HTTP status; 0 when no answer came (reset, abort). */
  readonly status: number;
}

/** One job of a run. */
export interface JobRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
  /** The key that answered, when known. */
  readonly key: string | undefined;
  /** Why it failed: error name and status, e.g. `RateLimitError 429`. */
  readonly failure: string | undefined;
  /** The answer's usage, when the SDK reported it: what the run's cost is counted from. */
  readonly usage?: TokenUsage | undefined;
}

/** A change of the shared store's mode seen by the run (Redis went away, or came back). */
export interface StoreEventRecord {
  readonly type: 'store-degraded' | 'store-recovered';
  readonly at: number;
  /** Why the store went local (`store-degraded`). */
  readonly reason?: string;
}

/**
 * What one run did, observed from the client side while it runs: the live progress reads it, and the
 * summary is computed from it at the end.
 */
export class RunRecorder {
  readonly attempts: AttemptRecord[] = [];
  readonly jobs: JobRecord[] = [];
  readonly storeEvents: StoreEventRecord[] = [];
  startedAt = Number.NaN;
  endedAt = Number.NaN;
  inFlight = 0;
  limited = 0;
  succeeded = 0;
  failed = 0;
  /** What the run is waiting for, when it waits ("waiting for provider, next probe in 8s"), else ''. */
  status = '';
  /** keymux runs: each key's concurrency limit now, and the highest it reached. */
  readonly slots = new Map<string, { now: number; peak: number }>();

  constructor(readonly now: () => number = Date.now) {}

  /** A key's concurrency limit changed (or was first seen). */
  slotsOf(key: string, limit: number): void {
    const seen = this.slots.get(key);
    this.slots.set(key, { now: limit, peak: Math.max(limit, seen?.peak ?? 0) });
  }

  /** Slots of all keys together now; undefined outside keymux runs. */
  totalSlots(): number | undefined {
    if (this.slots.size === 0) return undefined;
    let total = 0;
    for (const { now } of this.slots.values()) total += now;
    return total;
  }

  start(): void {
    this.startedAt = this.now();
  }

  finish(): void {
    this.endedAt = this.now();
  }

  attempt(key: string, status: number): void {
    this.attempts.push({ at: this.now(), key, status });
    if (status === 429) this.limited++;
  }

  storeEvent(type: StoreEventRecord['type'], at: number, reason?: string): void {
    this.storeEvents.push(reason === undefined ? { type, at } : { type, at, reason });
  }

  jobStarted(): number {
    this.inFlight++;
    return this.now();
  }

  jobEnded(
    startedAt: number,
    outcome: {
      ok: boolean;
      key?: string | undefined;
      failure?: string;
      usage?: TokenUsage | undefined;
    },
  ): void {
    this.inFlight--;
    if (outcome.ok) this.succeeded++;
    else this.failed++;
    this.jobs.push({
      startedAt,
      endedAt: this.now(),
      ok: outcome.ok,
      key: outcome.key,
      failure: outcome.failure,
      ...(outcome.usage ? { usage: outcome.usage } : {}),
    });
  }

  get done(): number {
    return this.succeeded + this.failed;
  }

  /** Successful jobs per second so far. */
  rate(): number {
    const elapsed = (Number.isNaN(this.endedAt) ? this.now() : this.endedAt) - this.startedAt;
    return elapsed > 0 ? (this.succeeded * 1000) / elapsed : 0;
  }
}

/** A short name for why a call failed: the error's class and HTTP status when it has one. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  const status = statusOf(error);
  return status === undefined ? error.name : `${error.name} ${status}`;
}

/** The HTTP status of an SDK error, looking through keymux's wrappers (`cause`). */
export function statusOf(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const status = (e as { status?: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

import type { FaultKind, ProviderName } from './config/options.js';

/** What went wrong on purpose: an injected or scripted fault, or an outage that cut the request. */
export type LedgerFault = FaultKind | 'outage';

/** How a request ended, seen from the emulator. */
export type LedgerOutcome =
  | 'ok' // a complete answer
  | 'limited' // refused by the pool's limits (429, or Groq's 413)
  | 'unauthorized' // unknown key
  | 'invalid' // bad request (400, 404)
  | 'fault' // an injected fault
  | 'client-closed' // the client went away before the answer was complete
  | 'pending'; // still in flight

export type Endpoint = 'chat' | 'embeddings' | 'models';

/** One request. `key` is the configured key name, never the key's value. */
export interface LedgerEntry {
  /** Arrival order, from 1. */
  readonly seq: number;
  /** The caller's id, from `x-keymux-job-id` or else `x-request-id`. */
  readonly requestId: string | undefined;
  /** The id the emulator answered with (`x-request-id` / `request-id`). */
  readonly responseId: string;
  readonly provider: ProviderName;
  readonly endpoint: Endpoint;
  readonly key: string | undefined;
  readonly pool: string | undefined;
  readonly model: string;
  readonly stream: boolean;
  /** The HTTP status sent; 0 when no status line went out (reset, hang). */
  readonly status: number;
  readonly outcome: LedgerOutcome;
  readonly fault: LedgerFault | undefined;
  /** Whether a step of the key's script decided the answer. */
  readonly scripted: boolean;
  /** Whether it arrived above the overload threshold of its key (slower, maybe a 5xx). */
  readonly overloaded: boolean;
  /** Whether the request was charged against its pool's limits. */
  readonly admitted: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Tokens charged to the pool's token buckets, after any end-of-request correction. */
  readonly chargedTokens: number;
  /** Emulator clock (the `now` option), ms. */
  readonly startedAt: number;
  readonly endedAt: number | undefined;
}

export type MutableLedgerEntry = { -readonly [K in keyof LedgerEntry]: LedgerEntry[K] };

export interface LedgerFilter {
  readonly key?: string;
  readonly pool?: string;
  /** The request's model, as it named it. */
  readonly model?: string;
  readonly provider?: ProviderName;
  readonly status?: number;
  readonly outcome?: LedgerOutcome;
  readonly admitted?: boolean;
}

/** Every request the emulator saw; the evidence that no limit was broken and nothing lost or doubled. */
export class Ledger {
  #entries: MutableLedgerEntry[] = [];
  #inFlight = new Map<string, number>();
  #peaks = new Map<string, number>();
  #seq = 0;

  /** Internal: opens an entry. */
  open(init: Omit<MutableLedgerEntry, 'seq'>): MutableLedgerEntry {
    const entry = { seq: ++this.#seq, ...init };
    this.#entries.push(entry);
    return entry;
  }

  /** Internal: counts an admitted request in flight for its pool (and overall, under ''). */
  enter(pool: string): void {
    for (const name of ['', pool]) {
      const now = (this.#inFlight.get(name) ?? 0) + 1;
      this.#inFlight.set(name, now);
      this.#peaks.set(name, Math.max(now, this.#peaks.get(name) ?? 0));
    }
  }

  /** Internal: the admitted request of `pool` is over. */
  leave(pool: string): void {
    for (const name of ['', pool]) this.#inFlight.set(name, Math.max(0, (this.#inFlight.get(name) ?? 0) - 1));
  }

  get size(): number {
    return this.#entries.length;
  }

  entries(filter: LedgerFilter = {}): readonly LedgerEntry[] {
    return this.#entries.filter(
      (e) =>
        (filter.key === undefined || e.key === filter.key) &&
        (filter.pool === undefined || e.pool === filter.pool) &&
        (filter.model === undefined || e.model === filter.model) &&
        (filter.provider === undefined || e.provider === filter.provider) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.outcome === undefined || e.outcome === filter.outcome) &&
        (filter.admitted === undefined || e.admitted === filter.admitted),
    );
  }

  /** Requests per key name (`'<unknown>'` for keys the emulator does not know). */
  countByKey(filter?: LedgerFilter): Record<string, number> {
    return tally(this.entries(filter), (e) => e.key ?? '<unknown>');
  }

  /** Requests per HTTP status (0: no status sent). */
  countByStatus(filter?: LedgerFilter): Record<number, number> {
    return tally(this.entries(filter), (e) => e.status);
  }

  /** Requests per fault (`cut`, `stall`, `outage`, `quota` …); requests with no fault are left out. */
  countByFault(filter?: LedgerFilter): Record<string, number> {
    return tally(
      this.entries(filter).filter((e) => e.fault !== undefined),
      (e) => e.fault ?? '',
    );
  }

  /**
   * The most admitted requests (or charged tokens) of `pool` that started within any window
   * `[t, t + windowMs)`. With a 60 000 ms window this is the "sliding minute" to compare with rpm/tpm.
   * With `model`, only that model's requests (each model has its own limits, see `PoolLimits.perModel`).
   */
  maxPerSlidingWindow(
    pool: string,
    windowMs: number,
    measure: 'requests' | 'tokens' = 'requests',
    model?: string,
  ): number {
    const points = this.entries({ pool, admitted: true, ...(model === undefined ? {} : { model }) })
      .map((e) => ({ at: e.startedAt, weight: measure === 'requests' ? 1 : e.chargedTokens }))
      .sort((a, b) => a.at - b.at);
    let best = 0;
    let sum = 0;
    let left = 0;
    for (const point of points) {
      sum += point.weight;
      while (points[left] !== undefined && points[left]!.at <= point.at - windowMs)
        sum -= points[left++]!.weight;
      best = Math.max(best, sum);
    }
    return best;
  }

  /**
   * The smallest GCRA burst (bucket capacity, in requests or tokens) that the admitted requests of `pool`
   * fit in at `limit` per `periodMs`: replays them through a bucket with no cap and returns its deepest
   * debt. A strict pool proves "never over its limit" with `peakBurst(pool, rpm, 60_000) <= burst`.
   */
  peakBurst(
    pool: string,
    limit: number,
    periodMs: number,
    measure: 'requests' | 'tokens' = 'requests',
  ): number {
    const points = this.entries({ pool, admitted: true })
      .map((e) => ({ at: e.startedAt, weight: measure === 'requests' ? 1 : e.chargedTokens }))
      .sort((a, b) => a.at - b.at);
    let debt = 0;
    let last = points[0]?.at ?? 0;
    let peak = 0;
    for (const point of points) {
      debt = Math.max(0, debt - ((point.at - last) * limit) / periodMs) + point.weight;
      last = point.at;
      peak = Math.max(peak, debt);
    }
    return peak;
  }

  /** The most admitted requests in flight at once, for one pool or overall. */
  peakConcurrency(pool?: string): number {
    return this.#peaks.get(pool ?? '') ?? 0;
  }

  /** Caller request ids answered successfully more than once: work that was done twice. */
  duplicates(): string[] {
    const seen = tally(
      this.#entries.filter((e) => e.requestId !== undefined && e.outcome === 'ok'),
      (e) => e.requestId ?? '',
    );
    return Object.keys(seen).filter((id) => (seen[id] ?? 0) > 1);
  }

  /** Forgets every entry and peak; requests in flight stay counted. */
  reset(): void {
    this.#entries = [];
    this.#peaks = new Map(this.#inFlight);
  }
}

/** The ledger as users see it: queries and `reset`, not the emulator's own bookkeeping. */
export type LedgerView = Omit<Ledger, 'open' | 'enter' | 'leave'>;

function tally<K extends string | number>(
  entries: readonly LedgerEntry[],
  by: (e: LedgerEntry) => K,
): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const e of entries) {
    const k = by(e);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

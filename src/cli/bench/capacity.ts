/** The limits of one key, as the capacity formula sees them; a missing limit does not bind. */
export interface KeyLimits {
  readonly rpm?: number;
  readonly tpm?: number;
  /** Requests the client keeps in flight on this key at most. */
  readonly concurrency?: number;
}

export type BindingLimit = 'rpm' | 'tpm' | 'concurrency';

export interface KeyCapacity {
  /** Requests per second each limit allows; null when that limit is not set. */
  readonly byRpm: number | null;
  readonly byTpm: number | null;
  readonly byConcurrency: number | null;
  /** The smallest of the three; null when nothing binds. */
  readonly rps: number | null;
  readonly binding: BindingLimit | null;
}

export interface Capacity {
  readonly tokensPerRequest: number;
  readonly meanLatencyMs: number;
  readonly perKey: readonly KeyCapacity[];
  /** Σ over keys of min(rpm/60, tpm/(60·tokens per request), concurrency/latency); null when unbounded. */
  readonly rps: number | null;
}

/**
 * The most successful requests per second the keys can give in steady state, whoever drives them:
 * the yardstick every run's goodput is a percentage of.
 */
export function theoreticalCapacity(
  keys: readonly KeyLimits[],
  tokensPerRequest: number,
  meanLatencyMs: number,
): Capacity {
  const perKey = keys.map((k): KeyCapacity => {
    const byRpm = k.rpm === undefined ? null : k.rpm / 60;
    const byTpm = k.tpm === undefined || tokensPerRequest <= 0 ? null : k.tpm / (60 * tokensPerRequest);
    const byConcurrency =
      k.concurrency === undefined || meanLatencyMs <= 0 ? null : k.concurrency / (meanLatencyMs / 1000);
    let rps: number | null = null;
    let binding: BindingLimit | null = null;
    for (const [name, value] of [
      ['rpm', byRpm],
      ['tpm', byTpm],
      ['concurrency', byConcurrency],
    ] as const) {
      if (value !== null && (rps === null || value < rps)) {
        rps = value;
        binding = name;
      }
    }
    return { byRpm, byTpm, byConcurrency, rps, binding };
  });
  const unbounded = perKey.some((k) => k.rps === null);
  const rps = unbounded ? null : perKey.reduce((sum, k) => sum + (k.rps ?? 0), 0);
  return { tokensPerRequest, meanLatencyMs, perKey, rps };
}

/** Achieved rate as a percentage of capacity, one decimal; null when capacity is unknown. */
export function goodputPercent(achievedRps: number, capacityRps: number | null): number | null {
  if (capacityRps === null || capacityRps <= 0) return null;
  return Math.round((achievedRps / capacityRps) * 1000) / 10;
}

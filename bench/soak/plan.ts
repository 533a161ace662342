/** What one soak job does, drawn from a seeded random. */
export interface PlannedJob {
  readonly id: string;
  readonly stream: boolean;
  readonly priority: number;
  /** Aborted by its caller after this many ms. */
  readonly abortAfterMs: number | undefined;
  /** The job's own deadline. */
  readonly timeoutMs: number;
  /** Sent at this offset from the start, in ms. */
  readonly atMs: number;
}

/** mulberry32: small, seeded, good enough to draw a plan. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlanOptions {
  readonly jobs: number;
  /** Jobs are spread over this many ms. */
  readonly spreadMs: number;
  readonly seed: number;
}

/** 20 % streams, 2 % aborted by the caller, 2 % with a short deadline, priorities 0–3. */
export function planJobs({ jobs, spreadMs, seed }: PlanOptions): PlannedJob[] {
  const random = seeded(seed);
  return Array.from({ length: jobs }, (_, i) => {
    const roll = random();
    return {
      id: `soak-${i}`,
      stream: random() < 0.2,
      priority: Math.floor(random() * 4),
      abortAfterMs: roll < 0.02 ? Math.floor(random() * 2000) : undefined,
      timeoutMs: roll >= 0.02 && roll < 0.04 ? 50 + Math.floor(random() * 1000) : 30_000,
      atMs: Math.floor((i / jobs) * spreadMs),
    };
  });
}

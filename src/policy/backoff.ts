export interface BackoffPolicy {
  readonly initialRetryDelay: number;
  readonly backoffFactor: number;
  readonly maxRetryDelay: number;
}

/**
 * Delay before a key is tried again after its `failures`-th consecutive failure (1-based), with full
 * jitter: uniform in [0, min(max, initial × factor^(failures−1))). A provider's hint is a floor.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number,
  hintMs?: number,
): number {
  const exponent = Math.max(0, failures - 1);
  const ceiling = Math.min(policy.maxRetryDelay, policy.initialRetryDelay * policy.backoffFactor ** exponent);
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, hintMs ?? 0);
}

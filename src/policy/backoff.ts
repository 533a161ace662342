export interface BackoffPolicy {
  readonly initialRetryDelay: number;
  readonly backoffFactor: number;
  readonly maxRetryDelay: number;
}

/**
 * How the delay is drawn under its ceiling: `full`, uniform in [0, ceiling) in whole ms (a key's own
 * retries: spreads many keys' retries apart); `equal`, half fixed and half uniform (a job pausing through
 * a provider's outage: never retries at once, still spread).
 */
export type Jitter = 'full' | 'equal';

/**
 * Delay after the `failures`-th consecutive failure (1-based): the ceiling is min(max, initial ×
 * factor^(failures−1)), jittered as `jitter` says. A provider's hint is a floor. The one backoff of keymux.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number,
  hintMs?: number,
  jitter: Jitter = 'full',
): number {
  const exponent = Math.max(0, failures - 1);
  const ceiling = Math.min(policy.maxRetryDelay, policy.initialRetryDelay * policy.backoffFactor ** exponent);
  const jittered =
    jitter === 'full' ? Math.floor(random() * ceiling) : ceiling / 2 + (random() * ceiling) / 2;
  return Math.max(jittered, hintMs ?? 0);
}

/** How a 429 backs off: as a failure does, its hint-less delays capped at `rateLimitCooldownMs`. */
export interface RateLimitBackoff extends BackoffPolicy {
  readonly rateLimitCooldownMs: number;
}

/**
 * How long the `streak`-th 429 in a row rests what it hit (a key, or one model on a key): exactly the
 * provider's hint, capped at `maxRetryDelay`; without one, the backoff capped at `rateLimitCooldownMs`.
 */
export function rateLimitDelay(
  policy: RateLimitBackoff,
  streak: number,
  random: () => number,
  hintMs: number | undefined,
): number {
  if (hintMs !== undefined) return Math.min(hintMs, policy.maxRetryDelay);
  return backoffDelay({ ...policy, maxRetryDelay: policy.rateLimitCooldownMs }, streak, random);
}

import type { Clock } from '../core/clock.js';
import { withDeadline } from './deadline.js';
import { describeRedisError, isAuthError, withClientError } from './redis-fault.js';

/** How a Redis store's start ended: on Redis, or on its local share, with the reason. */
export type RedisReadiness = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface StartupInput {
  /** One try at what the store needs of Redis before its first call: the connection and its scripts. */
  readonly probe: () => Promise<unknown>;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** The client's own last connection error, when it says more than the probe's "offline". */
  readonly clientError: (() => unknown) | undefined;
  readonly signal: AbortSignal;
}

/** How often a start that has not reached Redis tries again. */
const RETRY_MS = 50;

/**
 * Tries until Redis answers, within the start's own allowance (connecting and loading scripts on a busy
 * machine take longer than the deadline of a call). A refusal of the credentials ends it at once: it will
 * not change by waiting.
 */
export async function startRedis(input: StartupInput): Promise<RedisReadiness> {
  const { clock, timeoutMs, signal } = input;
  const until = clock.now() + timeoutMs;
  let failure: unknown;
  while (!signal.aborted && clock.now() < until) {
    try {
      await withDeadline(input.probe(), Math.max(1, until - clock.now()));
      return { ok: true };
    } catch (error) {
      failure = withClientError(error, input.clientError);
      if (isAuthError(failure)) return { ok: false, reason: describeRedisError(failure) };
    }
    const left = until - clock.now();
    if (left <= 0) break;
    try {
      await clock.sleep(Math.min(RETRY_MS, left), signal, { unref: true });
    } catch {
      break;
    }
  }
  if (signal.aborted) return { ok: false, reason: 'the store was closed before redis answered' };
  const why = failure === undefined ? '' : `: ${describeRedisError(failure)}`;
  return { ok: false, reason: `redis was not ready within ${timeoutMs} ms of start${why}` };
}

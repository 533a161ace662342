import ms from 'ms';
import { ConfigError } from '../core/errors.js';
import type { OffloadJournal } from '../core/offload-journal.js';

/** `batchOffload`: calls that can wait go to the providers' Batch APIs, at their batch prices. */
export interface BatchOffloadOptions {
  /** A call whose deadline is at least this far away may be offloaded (ms, or '1h', '30m'). @default '1h' */
  readonly minDeadline?: number | string;
  /** The longest a call waits for others to fill its batch before the batch is submitted. @default '5m' */
  readonly maxWait?: number | string;
  /** A batch is submitted as soon as it holds this many calls (capped by the provider's limit). @default 10000 */
  readonly maxRequests?: number;
  /** The first wait between two looks at a submitted batch; it doubles up to `maxPoll`. @default '30s' */
  readonly firstPoll?: number | string;
  /** @default '10m' */
  readonly maxPoll?: number | string;
  /**
   * How long before a call's deadline its line, still pending, is sent synchronously instead (the time a
   * synchronous call, with its queue and retries, needs). @default '15m'
   */
  readonly resendBefore?: number | string;
  /**
   * Where open batches are written down. @default the store's (Redis: shared, survives a restart), else
   * this process's memory
   */
  readonly journal?: OffloadJournal;
}

export interface ResolvedOffloadOptions {
  readonly minDeadlineMs: number;
  readonly maxWaitMs: number;
  readonly maxRequests: number;
  readonly firstPollMs: number;
  readonly maxPollMs: number;
  readonly resendBeforeMs: number;
  readonly journal: OffloadJournal | undefined;
}

/** A duration option as ms: a number of ms, or what `ms` reads (`'90s'`, `'5m'`, `'1h'`, `'2d'`). */
function durationMs(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const parsed =
    typeof value === 'string' ? (ms(value.trim() as ms.StringValue) as number | undefined) : undefined;
  if (parsed === undefined || !(parsed >= 0))
    throw new ConfigError(
      path,
      `Expected a duration (ms, or e.g. '90s', '5m', '1h'), got ${JSON.stringify(value)}`,
    );
  return parsed;
}

/** Checks `batchOffload` once; the engine trusts the result. */
export function resolveOffloadOptions(value: unknown): ResolvedOffloadOptions | undefined {
  if (value === undefined || value === false) return undefined;
  const o = (value === true ? {} : value) as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new ConfigError('batchOffload', 'Expected an object { minDeadline, maxWait, maxRequests }');
  const maxRequests = o.maxRequests ?? 10_000;
  if (typeof maxRequests !== 'number' || !Number.isInteger(maxRequests) || maxRequests < 1)
    throw new ConfigError(
      'batchOffload.maxRequests',
      `Expected an integer from 1 and up, got ${String(maxRequests)}`,
    );
  const resolved = {
    minDeadlineMs: durationMs(o.minDeadline, 'batchOffload.minDeadline', 3_600_000),
    maxWaitMs: durationMs(o.maxWait, 'batchOffload.maxWait', 300_000),
    maxRequests,
    firstPollMs: Math.max(1, durationMs(o.firstPoll, 'batchOffload.firstPoll', 30_000)),
    maxPollMs: durationMs(o.maxPoll, 'batchOffload.maxPoll', 600_000),
    resendBeforeMs: durationMs(o.resendBefore, 'batchOffload.resendBefore', 900_000),
    journal: o.journal as OffloadJournal | undefined,
  };
  if (resolved.resendBeforeMs + resolved.maxWaitMs >= resolved.minDeadlineMs)
    throw new ConfigError(
      'batchOffload.minDeadline',
      'Expected minDeadline to be longer than maxWait + resendBefore: a call must have time to wait in a batch',
    );
  return resolved;
}

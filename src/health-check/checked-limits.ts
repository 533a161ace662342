import type { CheckedLimit, CheckedLimits } from '../core/key-check.js';
import type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';

const MINUTE = 60_000;

/** The limits a check's response headers reported, for its result; undefined when they reported none. */
export function checkedLimits(info: RateLimitInfo | undefined): CheckedLimits | undefined {
  if (info === undefined) return undefined;
  const limits: { -readonly [K in keyof CheckedLimits]: CheckedLimit } = {};
  for (const kind of ['requests', 'tokens', 'inputTokens', 'outputTokens'] as const) {
    const reading = info[kind];
    if (reading !== undefined && (reading.limit !== undefined || reading.remaining !== undefined))
      limits[kind] = limit(reading);
  }
  return Object.keys(limits).length === 0 ? undefined : limits;
}

function limit(reading: LimitReading): CheckedLimit {
  return {
    ...(reading.limit === undefined ? {} : { limit: reading.limit }),
    ...(reading.remaining === undefined ? {} : { remaining: reading.remaining }),
    per: reading.windowMs > MINUTE ? 'day' : 'minute',
  };
}

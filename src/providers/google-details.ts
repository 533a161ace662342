import { isRecord, parseProtoDuration } from './wire-values.js';

const typeOf = (detail: Record<string, unknown>): string =>
  typeof detail['@type'] === 'string' ? detail['@type'] : '';

/** Gemini's `google.rpc.RetryInfo.retryDelay` (`"1.68s"`), in ms. */
export function googleRetryDelayMs(details: readonly Record<string, unknown>[]): number | undefined {
  for (const detail of details) {
    if (!typeOf(detail).endsWith('RetryInfo')) continue;
    const delay = detail.retryDelay;
    if (typeof delay === 'string') return parseProtoDuration(delay);
    // Some gateways send the proto JSON object form: { seconds, nanos }.
    if (isRecord(delay)) {
      const seconds = Number(delay.seconds ?? 0);
      const nanos = Number(delay.nanos ?? 0);
      if (Number.isFinite(seconds) && Number.isFinite(nanos)) return Math.round(seconds * 1000 + nanos / 1e6);
    }
  }
  return undefined;
}

/**
 * Whether a `google.rpc.QuotaFailure` names a per-day quota (exhausted until tomorrow) rather than a
 * per-minute one; undefined when there is no QuotaFailure. Gemini's 429 text always says "quota" and
 * "billing", so only this structure tells the two apart.
 */
export function googleQuotaIsDaily(details: readonly Record<string, unknown>[]): boolean | undefined {
  let found = false;
  for (const detail of details) {
    if (!typeOf(detail).endsWith('QuotaFailure')) continue;
    found = true;
    const violations = Array.isArray(detail.violations) ? detail.violations : [];
    for (const v of violations) {
      if (!isRecord(v)) continue;
      const id = `${String(v.quotaId ?? '')} ${String(v.quotaMetric ?? '')}`;
      if (/per_?day|daily/i.test(id)) return true;
    }
  }
  return found ? false : undefined;
}

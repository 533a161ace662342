/**
 * Formats milliseconds the way Go's `time.Duration.String()` does, which is how OpenAI and Groq write
 * `x-ratelimit-reset-*` headers and "Please try again in …" hints: `12ms`, `1.5s`, `6m0s`, `1h2m3s`.
 * Resolution is one millisecond.
 */
export function formatGoDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const secondsText = `${trimDecimals(seconds)}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

function trimDecimals(value: number): string {
  return value.toFixed(3).replace(/\.?0+$/, '');
}

/** Seconds with two decimals as Gemini writes `retryDelay` (`"1.68s"`). */
export function formatProtoDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return `${seconds.toFixed(2).replace(/\.?0+$/, '')}s`;
}

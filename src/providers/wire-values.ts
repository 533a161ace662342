// Reading values off the wire defensively: records, numbers at a path, headers (a `Headers` or a record),
// and the providers' durations (Go durations, Retry-After).
const GO_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)/;

/**
 * Milliseconds of a Go `time.Duration` string, as OpenAI and Groq write their reset headers and
 * "try again in …" hints: `12ms`, `1.5s`, `6m0s`, `2h3m4.5s`. Undefined when it is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '0') return 0;
  if (rest.length === 0) return undefined;
  let total = 0;
  while (rest.length > 0) {
    const match = GO_DURATION.exec(rest);
    if (!match) return undefined;
    const part = match[0];
    const unit = /[a-zµμ]+$/.exec(part)?.[0] ?? '';
    total += Number.parseFloat(part.slice(0, part.length - unit.length)) * (GO_UNITS[unit] ?? 0);
    rest = rest.slice(part.length);
  }
  return total;
}

/** Milliseconds of a protobuf JSON `Duration` as Gemini writes `retryDelay`: `"1.68s"`, `"30s"`. */
export function parseProtoDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(text);
  return match?.[1] === undefined ? undefined : Math.round(Number.parseFloat(match[1]) * 1000);
}

/**
 * Milliseconds from `now` of a `Retry-After` value: delay-seconds (`"2"`, `"1.5"`) or an HTTP date.
 * A date in the past gives 0.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number.parseFloat(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Milliseconds from `now` until an RFC 3339 instant (Anthropic's resets); 0 when already past. */
export function msUntil(instant: string, now: number): number | undefined {
  const at = Date.parse(instant.trim());
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Reads one header, case-insensitively, from a `Headers` or a plain record. */
export type HeaderReader = (name: string) => string | undefined;

interface HeadersLike {
  get(name: string): string | null;
}

function isHeadersLike(value: object): value is HeadersLike {
  return typeof (value as { get?: unknown }).get === 'function';
}

/**
 * The SDKs carry headers as `Headers` (OpenAI, Anthropic, Groq), others as records of strings or
 * string arrays; undefined when `headers` is neither.
 */
export function headerReader(headers: unknown): HeaderReader | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  if (isHeadersLike(headers)) {
    return (name) => {
      const value = headers.get(name);
      return value ?? undefined;
    };
  }
  const record = headers as Record<string, unknown>;
  const lower = new Map<string, unknown>();
  for (const [name, value] of Object.entries(record)) lower.set(name.toLowerCase(), value);
  return (name) => {
    const value = lower.get(name.toLowerCase());
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    return undefined;
  };
}

/** A non-null object, read defensively (an SDK's error, a response body). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** A finite, non-negative number at `path` inside `value`, if there is one. */
export function numberAt(value: unknown, ...path: string[]): number | undefined {
  let v = value;
  for (const step of path) v = isRecord(v) ? v[step] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

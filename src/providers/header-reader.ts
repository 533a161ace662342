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

/** `sk-p…xyz1`: first 4 and last 4 characters; `****` when the value is shorter than 12. */
export function maskKey(value: string): string {
  if (value.length < 12) return '****';
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/**
 * Shortest run of a key's characters that counts as an echo of it. Providers echo keys in part
 * (`sk-proj-abc…****`, all but the last 4), so the whole value is not enough to look for.
 */
export const MIN_ECHO = 8;

/** Every run of MIN_ECHO characters of a secret; built once per secret (scrubbing runs on every error). */
const gramsCache = new Map<string, ReadonlySet<string>>();

function gramsOf(secret: string): ReadonlySet<string> {
  let grams = gramsCache.get(secret);
  if (grams === undefined) {
    const set = new Set<string>();
    for (let i = 0; i + MIN_ECHO <= secret.length; i++) set.add(secret.slice(i, i + MIN_ECHO));
    // A few hundred keys at most in a process; the bound only stops a pathological caller.
    if (gramsCache.size >= 10_000) gramsCache.clear();
    gramsCache.set(secret, set);
    grams = set;
  }
  return grams;
}

/**
 * Spans `[start, end)` of `text` made of the secret's characters, MIN_ECHO or more in a row (overlapping
 * runs of the key merged). One pass over the text, one set lookup per position.
 */
export function echoSpans(text: string, secret: string): Array<readonly [number, number]> {
  const spans: Array<[number, number]> = [];
  if (secret.length === 0) return spans;
  if (secret.length < MIN_ECHO) {
    for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + secret.length)) {
      spans.push([i, i + secret.length]);
    }
    return spans;
  }
  const grams = gramsOf(secret);
  for (let i = 0; i + MIN_ECHO <= text.length; i++) {
    if (!grams.has(text.slice(i, i + MIN_ECHO))) continue;
    const last = spans.at(-1);
    if (last !== undefined && last[1] >= i) last[1] = i + MIN_ECHO;
    else spans.push([i, i + MIN_ECHO]);
  }
  return spans;
}

/** Whether `text` holds the secret, or MIN_ECHO or more of its characters in a row. */
export function containsEcho(text: string, secret: string): boolean {
  if (secret.length === 0 || text.length < Math.min(secret.length, MIN_ECHO)) return false;
  if (secret.length < MIN_ECHO) return text.includes(secret);
  const grams = gramsOf(secret);
  for (let i = 0; i + MIN_ECHO <= text.length; i++) if (grams.has(text.slice(i, i + MIN_ECHO))) return true;
  return false;
}

/** Replaces every echo of each secret in `text` (whole, or MIN_ECHO characters of it in a row) by its mask. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    const spans = echoSpans(out, secret);
    if (spans.length === 0) continue;
    const mask = maskKey(secret);
    let next = '';
    let from = 0;
    for (const [start, end] of spans) {
      next += out.slice(from, start) + mask;
      from = end;
    }
    out = next + out.slice(from);
  }
  return out;
}

/**
 * Scrubs a secret from an error a provider or SDK threw (messages may echo the key, whole or in part),
 * in place, down to a few levels of nested objects (`error.error.message`, `cause`). Returns the same error.
 */
export function scrubError<E>(error: E, secret: string, depth = 3): E {
  if (depth < 0 || error === null || typeof error !== 'object') return error;
  const record = error as Record<string, unknown>;
  for (const prop of ['message', 'stack', 'cause', ...Object.keys(record)]) {
    let value: unknown;
    try {
      value = record[prop];
    } catch {
      continue;
    }
    if (typeof value === 'string' && containsEcho(value, secret)) {
      try {
        record[prop] = scrub(value, [secret]);
      } catch {
        // A read-only property that holds the key cannot be fixed here; classify() never copies it.
      }
    } else if (value !== null && typeof value === 'object' && prop !== 'headers') {
      scrubError(value, secret, depth - 1);
    }
  }
  return error;
}

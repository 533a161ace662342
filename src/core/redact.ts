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

const BASE = 31;
/** BASE^MIN_ECHO mod 2^32: what the character leaving the window weighs in the rolling hash. */
const OUT_WEIGHT = Array.from({ length: MIN_ECHO }).reduce<number>((p) => Math.imul(p, BASE), 1);

/** The runs of MIN_ECHO characters of some secrets, by rolling hash, each with the mask to print. */
interface Grams {
  readonly byHash: ReadonlyMap<number, ReadonlyArray<{ readonly gram: string; readonly mask: string }>>;
  /** Secrets shorter than MIN_ECHO (no real key is): matched whole. */
  readonly short: readonly string[];
}

function hashOf(text: string, from: number): number {
  let h = 0;
  for (let i = from; i < from + MIN_ECHO; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

function buildGrams(secrets: Iterable<string>): Grams {
  const byHash = new Map<number, Array<{ gram: string; mask: string }>>();
  const short: string[] = [];
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    if (secret.length < MIN_ECHO) {
      short.push(secret);
      continue;
    }
    const mask = maskKey(secret);
    for (let i = 0; i + MIN_ECHO <= secret.length; i++) {
      const gram = secret.slice(i, i + MIN_ECHO);
      const h = hashOf(gram, 0);
      const list = byHash.get(h) ?? [];
      if (!list.some((g) => g.gram === gram)) list.push({ gram, mask });
      byHash.set(h, list);
    }
  }
  return { byHash, short };
}

/** One secret's grams, built once (scrubbing runs on every error); a few hundred keys at most. */
const cache = new Map<string, Grams>();

function gramsOf(secret: string): Grams {
  let grams = cache.get(secret);
  if (grams === undefined) {
    if (cache.size >= 10_000) cache.clear();
    grams = buildGrams([secret]);
    cache.set(secret, grams);
  }
  return grams;
}

export interface EchoSpan {
  readonly start: number;
  end: number;
  readonly mask: string;
}

/**
 * Spans of `text` made of a secret's characters, MIN_ECHO or more in a row (overlapping runs merged),
 * each with the mask of the secret it echoes. One pass with a rolling hash: a string is only cut out
 * where the hash matches, so a long text with many keys costs about one read of it.
 */
export function echoSpans(text: string, grams: Grams): EchoSpan[] {
  const spans: EchoSpan[] = [];
  const hit = (start: number, end: number, mask: string): void => {
    const last = spans.at(-1);
    if (last !== undefined && last.end >= start) last.end = Math.max(last.end, end);
    else spans.push({ start, end, mask });
  };
  if (grams.byHash.size > 0 && text.length >= MIN_ECHO) {
    let h = hashOf(text, 0);
    for (let i = 0; ; i++) {
      const candidates = grams.byHash.get(h);
      if (candidates !== undefined) {
        const window = text.slice(i, i + MIN_ECHO);
        const found = candidates.find((c) => c.gram === window);
        if (found !== undefined) hit(i, i + MIN_ECHO, found.mask);
      }
      if (i + MIN_ECHO >= text.length) break;
      h =
        (Math.imul(h, BASE) + text.charCodeAt(i + MIN_ECHO) - Math.imul(text.charCodeAt(i), OUT_WEIGHT)) | 0;
    }
  }
  for (const secret of grams.short) {
    for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + secret.length)) {
      hit(i, i + secret.length, maskKey(secret));
    }
  }
  return grams.short.length > 0 ? spans.sort((a, b) => a.start - b.start) : spans;
}

/** Whether `text` holds the secret, or MIN_ECHO or more of its characters in a row. */
export function containsEcho(text: string, secret: string): boolean {
  return echoSpans(text, gramsOf(secret)).length > 0;
}

/** Replaces every echo of each secret in `text` (whole, or MIN_ECHO characters of it in a row) by its mask. */
export function scrub(text: string, secrets: Iterable<string>): string {
  const list = [...secrets];
  return masked(text, echoSpans(text, list.length === 1 ? gramsOf(list[0]!) : buildGrams(list)));
}

function masked(text: string, spans: readonly EchoSpan[]): string {
  if (spans.length === 0) return text;
  let out = '';
  let from = 0;
  for (const { start, end, mask } of spans) {
    if (start < from) continue;
    out += text.slice(from, start) + mask;
    from = end;
  }
  return out + text.slice(from);
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

/**
 * Scrubs every secret it was given from any text, the way `scrub` does (whole, or MIN_ECHO characters
 * in a row): one instance for every path out of a process (responses, errors, logs). Secrets are added
 * as they are first used; the lookup table is rebuilt lazily, once per change of the set.
 */
export class SecretScrubber {
  readonly #secrets = new Set<string>();
  #grams: Grams | undefined;

  add(secret: string): void {
    if (secret === '' || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#grams = undefined;
  }

  get size(): number {
    return this.#secrets.size;
  }

  scrub(text: string): string {
    if (this.#secrets.size === 0) return text;
    this.#grams ??= buildGrams(this.#secrets);
    return masked(text, echoSpans(text, this.#grams));
  }

  /** A JSON value with every string in it scrubbed (keys of objects included). */
  scrubJson(value: unknown): unknown {
    if (this.#secrets.size === 0) return value;
    const text = JSON.stringify(value);
    if (text === undefined) return value;
    const clean = this.scrub(text);
    if (clean === text) return value;
    try {
      return JSON.parse(clean);
    } catch {
      return clean; // A mask cut through JSON syntax (a key holding a quote): the text, scrubbed.
    }
  }
}

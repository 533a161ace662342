import type { TokenUsage } from '../core/events.js';
import { usageOfEvent } from './sse-usage.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** The fields that hold usage in a JSON answer: OpenAI's, Anthropic's and Responses' `usage`, Gemini's `usageMetadata`. */
const FIELDS = ['usage', 'usageMetadata'].map((name) => ({ name, marker: Buffer.from(`"${name}"`) }));

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Index of the `}` closing the object that opens at `start`, strings skipped; -1 when it never closes. */
function closingBrace(body: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      for (i++; i < body.length && body[i] !== QUOTE; i++) if (body[i] === BACKSLASH) i++;
    } else if (byte === OPEN) depth++;
    else if (byte === CLOSE && --depth === 0) return i;
  }
  return -1;
}

/** The object after the last `"name":` in the body, parsed alone; undefined when there is none to parse. */
function lastObjectOf(body: Buffer, marker: Buffer): unknown {
  const at = body.lastIndexOf(marker);
  // A marker inside a string would be escaped (`\"usage\"`): then only the whole body says.
  if (at <= 0 || body[at - 1] === BACKSLASH) return undefined;
  let i = at + marker.length;
  while (isSpace(body[i])) i++;
  if (body[i] !== 0x3a) return undefined; // ':'
  i++;
  while (isSpace(body[i])) i++;
  if (body[i] !== OPEN) return undefined;
  const end = closingBrace(body, i);
  if (end < 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8', i, end + 1));
  } catch {
    return undefined;
  }
}

/**
 * The usage a provider's JSON answer reports. Usage comes last, after the content (an embeddings
 * answer is mostly vectors), so its object is found from the end and parsed alone; the whole body is
 * parsed only when that finds nothing.
 */
export function usageOfJson(body: Buffer): Partial<TokenUsage> | undefined {
  for (const { name, marker } of FIELDS) {
    const found = lastObjectOf(body, marker);
    const usage = found === undefined ? undefined : usageOfEvent({ [name]: found });
    if (usage !== undefined) return usage;
  }
  try {
    return usageOfEvent(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

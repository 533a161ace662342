import { type Random, randomInt } from '../random.js';

const WORDS = [
  'the',
  'emulator',
  'answers',
  'every',
  'request',
  'with',
  'a',
  'few',
  'plain',
  'words',
  'so',
  'that',
  'clients',
  'can',
  'count',
  'tokens',
  'and',
  'measure',
  'how',
  'fast',
  'keys',
  'are',
  'served',
  'today',
];

/** About four characters a token, as the providers' own rough guidance says. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Estimates the tokens of every string inside a JSON value (messages, contents, system prompts). */
export function estimateJsonTokens(value: unknown): number {
  // A stack of its own, not recursion: a client's body may nest arrays 100 000 deep.
  let sum = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') sum += estimateTokens(next);
    else if (Array.isArray(next)) for (const item of next) pending.push(item);
    else if (next !== null && typeof next === 'object')
      for (const item of Object.values(next)) pending.push(item);
  }
  return sum;
}

/** The text of an answer, one token per piece. */
export interface GeneratedText {
  readonly pieces: readonly string[];
  readonly text: string;
  /** True when `maxTokens` cut the answer short. */
  readonly truncated: boolean;
}

export function generateText(
  random: Random,
  range: { readonly min: number; readonly max: number },
  maxTokens: number | undefined,
): GeneratedText {
  const wanted = randomInt(random, range.min, range.max);
  const count = maxTokens === undefined ? wanted : Math.min(wanted, maxTokens);
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'word';
    pieces.push(i === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : ` ${word}`);
  }
  return { pieces, text: pieces.join(''), truncated: count < wanted };
}

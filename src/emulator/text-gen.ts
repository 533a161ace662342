import { type Random, randomInt } from './random.js';

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
  if (typeof value === 'string') return estimateTokens(value);
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + estimateJsonTokens(item), 0);
  if (value !== null && typeof value === 'object') {
    return Object.values(value).reduce<number>((sum, item) => sum + estimateJsonTokens(item), 0);
  }
  return 0;
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

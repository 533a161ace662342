import { isRecord } from './wire-values.js';

/**
 * Output tokens reserved when a request names no maximum: enough for a typical chat answer. The real
 * count replaces the estimate when the call ends, so this only shapes pacing while the call runs.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 256;

/**
 * About four characters a token, summed over every string inside a JSON value (as the emulator counts).
 * Walks with a stack of its own, not by recursion: a client's body may nest arrays 100 000 deep.
 */
export function textTokens(value: unknown): number {
  let sum = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') sum += Math.ceil(next.length / 4);
    else if (Array.isArray(next)) for (const item of next) pending.push(item);
    else if (isRecord(next)) for (const item of Object.values(next)) pending.push(item);
  }
  return sum;
}

/** Where one provider's request keeps its prompt and its output maximum. */
export interface TokenProfile {
  /** Fields holding prompt text (messages, system prompts, inputs). */
  readonly promptFields: readonly string[];
  /** Paths of the output maximum, first found wins. */
  readonly maxPaths: readonly (readonly string[])[];
  /** Tokens the provider adds to every chat request (OpenAI's reply priming). */
  readonly overhead: number;
  /**
   * The provider charges the larger of the prompt estimate and the output maximum, up front, and never
   * corrects it (OpenAI, Groq): the estimate is then exactly the charge.
   */
  readonly chargesLargerOf?: boolean;
  /** Requests with no output at all (embeddings, token counts): no output reservation. */
  readonly promptOnly?: (request: Readonly<Record<string, unknown>>) => boolean;
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const step of path) v = isRecord(v) ? v[step] : undefined;
  return v;
}

/** Prompt tokens plus the output maximum (or the default): what the call may take from a token bucket. */
export function estimateRequestTokens(request: unknown, profile: TokenProfile): number {
  if (typeof request === 'string' || Array.isArray(request)) {
    return textTokens(request) + profile.overhead + DEFAULT_MAX_OUTPUT_TOKENS;
  }
  if (!isRecord(request)) return 0;
  let prompt = 0;
  for (const field of profile.promptFields) prompt += textTokens(request[field]);
  if (profile.promptOnly?.(request)) return prompt;
  let max: number | undefined;
  for (const path of profile.maxPaths) {
    const value = at(request, path);
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
      max = value;
      break;
    }
  }
  if (profile.chargesLargerOf) return Math.max(prompt + profile.overhead, max ?? 0);
  return prompt + profile.overhead + (max ?? DEFAULT_MAX_OUTPUT_TOKENS);
}

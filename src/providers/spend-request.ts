import type { SpendRequest } from '../spend/spend.js';
import { ANTHROPIC_TOKEN_PROFILE } from './anthropic.js';
import { textTokens } from './estimate-tokens.js';
import { GEMINI_TOKEN_PROFILE } from './gemini.js';
import { OPENAI_TOKEN_PROFILE } from './openai.js';
import { isRecord, numberAt } from './wire-values.js';

/** Where any provider's request names its output maximum. */
const MAX_PATHS = [
  ...OPENAI_TOKEN_PROFILE.maxPaths,
  ...ANTHROPIC_TOKEN_PROFILE.maxPaths,
  ...GEMINI_TOKEN_PROFILE.maxPaths,
];

/**
 * What a budget needs of a request before it is sent: its model, a prompt estimate that is never short
 * (every string of the request counts) and its output maximum.
 */
export function spendRequestOf(request: unknown): SpendRequest {
  const model = isRecord(request) && typeof request.model === 'string' ? request.model : undefined;
  let maxOutputTokens: number | undefined;
  for (const path of MAX_PATHS) {
    maxOutputTokens = numberAt(request, ...path);
    if (maxOutputTokens !== undefined) break;
  }
  return { model, promptTokens: textTokens(request), maxOutputTokens };
}

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
 * (every string of the request counts) and its output maximum. The model is read at once (every call's
 * cost is counted by model); the rest only when a budget asks, since walking every string of a long
 * prompt is the dearest part and a call no budget covers never needs it.
 */
class RequestSpend implements SpendRequest {
  #prompt: number | undefined;
  #max: { readonly value: number | undefined } | undefined;

  constructor(
    readonly request: unknown,
    readonly model: string | undefined,
  ) {}

  get promptTokens(): number {
    this.#prompt ??= textTokens(this.request);
    return this.#prompt;
  }

  get maxOutputTokens(): number | undefined {
    if (!this.#max) {
      let value: number | undefined;
      for (const path of MAX_PATHS) {
        value = numberAt(this.request, ...path);
        if (value !== undefined) break;
      }
      this.#max = { value };
    }
    return this.#max.value;
  }
}

/**
 * A request's `SpendRequest` (lazy: see RequestSpend). `model` when the model sent is not the request's
 * own (the gateway's routing). Read its fields; a spread copies only `model` and `request`.
 */
export function spendRequestOf(request: unknown, model?: string): SpendRequest {
  const own = isRecord(request) && typeof request.model === 'string' ? request.model : undefined;
  return new RequestSpend(request, model ?? own);
}

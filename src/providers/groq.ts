import type Groq from 'groq-sdk';
import type { TokenUsage } from '../core/events.js';
import type { CheckResponse, ClientSpec, ProviderAdapter } from './adapter.js';
import type { AdapterOptions } from './adapter-options.js';
import { classifyError } from './classify.js';
import { preferEsm } from './esm-client.js';
import { sdksReady } from './load-sdk.js';
import { OPENAI_TOKEN_PROFILE, readOpenAIUsage } from './openai.js';
import { estimateRequestTokens, parseGroqRateLimits } from './wire-values.js';

export const GROQ_PACKAGE = 'groq-sdk';

/** OpenAI's usage shape; a streamed chunk carries it under `x_groq.usage`. */
export function readGroqUsage(result: unknown): TokenUsage | undefined {
  if (result !== null && typeof result === 'object' && 'x_groq' in result) {
    const fromChunk = readOpenAIUsage((result as { x_groq: unknown }).x_groq);
    if (fromChunk) return fromChunk;
  }
  return readOpenAIUsage(result);
}

export function createGroqClient(spec: ClientSpec): Groq {
  return preferEsm(
    GROQ_PACKAGE,
    (sdk: typeof import('groq-sdk')) =>
      new sdk.Groq({
        apiKey: spec.apiKey,
        maxRetries: 0,
        fetch: spec.fetch,
        ...(spec.baseURL === undefined ? {} : { baseURL: spec.baseURL }),
      }),
  );
}

/** The models list, as for OpenAI. */
export async function checkGroqKey(client: Groq, signal: AbortSignal): Promise<CheckResponse> {
  const { response } = await client.models.list({ signal }).withResponse();
  return { status: response.status, headers: response.headers };
}

/** Groq: per model, as named. */
export function groqLimitScope(model: string): string {
  return model;
}
/** The `groq-sdk` package: OpenAI's API shape, with per-day request limits in its headers. */
export function createGroqAdapter(options: AdapterOptions = {}): ProviderAdapter<Groq> {
  const now = options.now ?? Date.now;
  return {
    name: 'groq',
    ready: () => sdksReady(GROQ_PACKAGE),
    createClient: createGroqClient,
    classify: (error) => classifyError(error, now()),
    estimateTokens: (request) => estimateRequestTokens(request, OPENAI_TOKEN_PROFILE),
    chargesEstimate: true,
    readUsage: readGroqUsage,
    readRateLimits: (headers) => parseGroqRateLimits(headers, now()),
    limitScope: groqLimitScope,
    check: checkGroqKey,
  };
}

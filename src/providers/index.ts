import type { ProviderAdapter } from './adapter.js';
import { createAnthropicAdapter } from './anthropic.js';
import { createGeminiAdapter } from './gemini.js';
import { createGroqAdapter } from './groq.js';
import { createOpenAIAdapter } from './openai.js';

export type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';
export type { ClientSpec, ProviderAdapter } from './adapter.js';
export type { AdapterOptions } from './adapter-options.js';
export { createAnthropicAdapter, readAnthropicUsage } from './anthropic.js';
export { classifyError } from './classify.js';
export { createGeminiAdapter, readGeminiUsage } from './gemini.js';
export { GeminiClients } from './gemini-clients.js';
export { createGenericAdapter, type GenericAdapterOptions } from './generic.js';
export { createGroqAdapter, readGroqUsage } from './groq.js';
export { createOpenAIAdapter, readOpenAIUsage } from './openai.js';
export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  parseAnthropicRateLimits,
  parseGroqRateLimits,
  parseOpenAIRateLimits,
  parseRetryAfterHeaders,
  textTokens,
} from './wire-values.js';

/** The adapters every multiplexer registers: openai, anthropic, gemini, groq. */
export function builtinAdapters(): ProviderAdapter[] {
  return [createOpenAIAdapter(), createAnthropicAdapter(), createGeminiAdapter(), createGroqAdapter()];
}

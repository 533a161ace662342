import { validateCallOptions } from '../config/call-options.js';
import type { CallOptions } from '../config/options.js';
import { ConfigError } from '../core/errors.js';
import { preloadOptionalSdk } from '../providers/load-sdk.js';
import { type ClientHints, genAIHints, generativeAIHints, stainlessHints } from './client-hints.js';
import type { ClientOptions } from './client-options.js';
import type { SdkClient } from './sdk-types.js';
import { wrapClient } from './wrap-client.js';
import type { Executor } from './wrap-context.js';

export type { ClientOptions };

/**
 * Checked when the client is made: a client factory (`getOpenAIClient('fastest')`) throws the
 * ConfigError at once, synchronously, rather than failing every request later.
 */
export function toCallOptions(options: ClientOptions | undefined): CallOptions {
  if (options === undefined) return {};
  const call = validateCallOptions(typeof options === 'string' ? { strategy: options } : options);
  if (call.model !== undefined) {
    throw new ConfigError(
      'model',
      "a client takes each request's model from the request: `model` is an option of execute()",
    );
  }
  return call;
}

function wrapped<T extends object>(mux: Executor, hints: ClientHints, options: ClientOptions | undefined): T {
  // Start loading the SDK's ESM build now; the first call awaits it (see load-sdk.ts).
  preloadOptionalSdk(hints.packageName);
  return wrapClient<T>({ mux, hints, call: toCallOptions(options) });
}

/** `mux.getOpenAIClient()`: the `openai` package's client; every request is a keymux job. */
export function openAIClient(mux: Executor, options?: ClientOptions): SdkClient<'openai'> {
  return wrapped(mux, stainlessHints('openai', 'openai', 'OpenAI'), options);
}

/** `mux.getAnthropicClient()`: the `@anthropic-ai/sdk` package's client. */
export function anthropicClient(mux: Executor, options?: ClientOptions): SdkClient<'anthropic'> {
  return wrapped(mux, stainlessHints('anthropic', '@anthropic-ai/sdk', 'Anthropic'), options);
}

/** `mux.getGroqClient()`: the `groq-sdk` package's client. */
export function groqClient(mux: Executor, options?: ClientOptions): SdkClient<'groq'> {
  return wrapped(mux, stainlessHints('groq', 'groq-sdk', 'Groq'), options);
}

/** `mux.getGeminiClient()`: `@google/generative-ai`'s client; models it makes send through keymux. */
export function geminiClient(mux: Executor, options?: ClientOptions): SdkClient<'gemini'> {
  return wrapped(mux, generativeAIHints(), options);
}

/** `mux.getGenAIClient()`: `@google/genai`'s client, on the same Gemini keys. */
export function genAIClient(mux: Executor, options?: ClientOptions): SdkClient<'genai'> {
  return wrapped(mux, genAIHints(), options);
}

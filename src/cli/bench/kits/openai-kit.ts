import OpenAI from 'openai';
import { baseUrlFor } from '../../../emulator/index.js';
import type { ProviderKit } from './provider-kit.js';

/** The `openai` SDK; `new OpenAI()` keeps its default `maxRetries` (2) and its own backoff. */
export const openaiKit: ProviderKit = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  emulatorBaseURL: (url) => baseUrlFor('openai', url),
  observesFetch: true,
  createClient: ({ apiKey, baseURL, fetch }) => new OpenAI({ apiKey, baseURL: baseURL ?? null, fetch }),
  async call(client, job, { headers, signal }) {
    const reply = await (client as OpenAI).chat.completions.create(
      { model: this.model, messages: [{ role: 'user', content: job.prompt }], max_tokens: job.maxTokens },
      { headers, signal },
    );
    return reply.usage
      ? { inputTokens: reply.usage.prompt_tokens, outputTokens: reply.usage.completion_tokens }
      : undefined;
  },
};

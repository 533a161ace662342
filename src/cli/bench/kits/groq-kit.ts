import Groq from 'groq-sdk';
import { baseUrlFor } from '../../../emulator/index.js';
import type { ProviderKit } from './provider-kit.js';

/** `groq-sdk`, with its default retries (2). */
export const groqKit: ProviderKit = {
  provider: 'groq',
  model: 'llama-3.1-8b-instant',
  emulatorBaseURL: (url) => baseUrlFor('groq', url),
  observesFetch: true,
  createClient: ({ apiKey, baseURL, fetch }) => new Groq({ apiKey, baseURL: baseURL ?? null, fetch }),
  async call(client, job, { headers, signal }) {
    const reply = await (client as Groq).chat.completions.create(
      { model: this.model, messages: [{ role: 'user', content: job.prompt }], max_tokens: job.maxTokens },
      { headers, signal },
    );
    return reply.usage
      ? { inputTokens: reply.usage.prompt_tokens, outputTokens: reply.usage.completion_tokens }
      : undefined;
  },
};

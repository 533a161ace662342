import Anthropic from '@anthropic-ai/sdk';
import { baseUrlFor } from '../../../emulator/index.js';
import type { ProviderKit } from './provider-kit.js';

/** `@anthropic-ai/sdk`, with its default retries (2). */
export const anthropicKit: ProviderKit = {
  provider: 'anthropic',
  model: 'claude-3-5-haiku-latest',
  emulatorBaseURL: (url) => baseUrlFor('anthropic', url),
  observesFetch: true,
  createClient: ({ apiKey, baseURL, fetch }) => new Anthropic({ apiKey, baseURL: baseURL ?? null, fetch }),
  async call(client, job, { headers, signal }) {
    const reply = await (client as Anthropic).messages.create(
      { model: this.model, messages: [{ role: 'user', content: job.prompt }], max_tokens: job.maxTokens },
      { headers, signal },
    );
    return { inputTokens: reply.usage.input_tokens, outputTokens: reply.usage.output_tokens };
  },
};

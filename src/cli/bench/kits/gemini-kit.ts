import { type GenerativeModel, GoogleGenerativeAI } from '@google/generative-ai';
import { baseUrlFor } from '../../../emulator/index.js';
import type { ProviderKit } from './provider-kit.js';

const MODEL = 'gemini-1.5-flash';

/**
 * `@google/generative-ai`. Its client is a `GenerativeModel`; the SDK has no retries of its own and
 * no fetch option, so a baseline's requests are counted from the emulator's ledger only.
 */
export const geminiKit: ProviderKit = {
  provider: 'gemini',
  model: MODEL,
  emulatorBaseURL: (url) => baseUrlFor('gemini', url),
  observesFetch: false,
  createClient: ({ apiKey, baseURL }) =>
    new GoogleGenerativeAI(apiKey).getGenerativeModel(
      { model: MODEL },
      baseURL === undefined ? {} : { baseUrl: baseURL },
    ),
  async call(client, job, { headers, signal }) {
    // keymux hands its per-key `GeminiClients`; a baseline hands the model itself.
    const model =
      'generateContent' in (client as object)
        ? (client as GenerativeModel)
        : (client as { getGenerativeModel(p: { model: string }): GenerativeModel }).getGenerativeModel({
            model: MODEL,
          });
    const reply = await model.generateContent(
      {
        contents: [{ role: 'user', parts: [{ text: job.prompt }] }],
        generationConfig: { maxOutputTokens: job.maxTokens },
      },
      { signal, customHeaders: { ...headers } },
    );
    const usage = reply.response.usageMetadata;
    return usage
      ? { inputTokens: usage.promptTokenCount, outputTokens: usage.candidatesTokenCount }
      : undefined;
  },
};

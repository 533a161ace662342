import type { ProviderName } from '../config/options.js';

/** Models each provider lists; names only matter to callers that print them. */
const MODELS: Record<ProviderName, readonly string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
  groq: ['llama-3.1-8b-instant', 'llama-3.3-70b-versatile'],
  anthropic: ['claude-3-5-haiku-latest', 'claude-sonnet-4-0'],
  gemini: ['gemini-2.0-flash', 'gemini-2.5-flash'],
};

const CREATED = 1_700_000_000;

/**
 * The models list, each provider's shape: the cheapest authenticated call, which key checks use. It is
 * not charged to the key's pool and carries no rate-limit headers.
 */
export function modelsListBody(provider: ProviderName): unknown {
  const ids = MODELS[provider];
  switch (provider) {
    case 'anthropic':
      return {
        data: ids.map((id) => ({
          type: 'model',
          id,
          display_name: id,
          created_at: new Date(CREATED * 1000).toISOString(),
        })),
        has_more: false,
        first_id: ids[0],
        last_id: ids.at(-1),
      };
    case 'gemini':
      return {
        models: ids.map((id) => ({
          name: `models/${id}`,
          version: '001',
          displayName: id,
          inputTokenLimit: 1_048_576,
          outputTokenLimit: 8192,
          supportedGenerationMethods: ['generateContent', 'countTokens'],
        })),
      };
    default:
      return {
        object: 'list',
        data: ids.map((id) => ({
          id,
          object: 'model',
          created: CREATED,
          owned_by: provider === 'groq' ? 'Groq' : 'system',
        })),
      };
  }
}

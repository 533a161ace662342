import type { IncomingMessage } from 'node:http';
import { createAnthropicDialect } from './anthropic-dialect.js';
import type { EmulatorContext } from './context.js';
import { type Dialect, header, type Reply } from './dialect.js';
import { createGeminiDialect } from './gemini-dialect.js';
import { createOpenAIDialect } from './openai-dialect.js';

const openai = createOpenAIDialect('openai');
const groq = createOpenAIDialect('groq');
const anthropic = createAnthropicDialect();
const gemini = createGeminiDialect();

/** One model per provider is enough: health checks only need the call to authenticate. */
const MODEL: Readonly<Record<Dialect['provider'], string>> = {
  openai: 'gpt-4o-mini',
  groq: 'llama-3.1-8b-instant',
  anthropic: 'claude-3-5-haiku-latest',
  gemini: 'gemini-2.0-flash',
};

/**
 * `GET` of a provider's models list (`/v1/models`, `/openai/v1/models`, `/v1beta/models`): the
 * cheapest authenticated call, which keymux's health checks make. OpenAI and Anthropic share the path;
 * the Anthropic SDK always sends `anthropic-version`. Undefined when the request is not one.
 */
export function modelsListReply(ctx: EmulatorContext, req: IncomingMessage, url: URL): Reply | undefined {
  if (req.method !== 'GET') return undefined;
  const dialect = dialectFor(req, url.pathname.replace(/\/+$/, ''));
  if (dialect === undefined) return undefined;
  const sent = dialect.apiKey(req, url);
  const key = sent === undefined ? undefined : ctx.keys.byValue(sent);
  if (key === undefined || (key.provider !== undefined && key.provider !== dialect.provider))
    return dialect.problem({ kind: 'unauthorized', missing: sent === undefined });
  // Listing models is not charged, but a known key's answers carry its pool's limit headers.
  const now = ctx.options.now();
  const pool = ctx.keys.pool(key.pool);
  const headers = pool === undefined ? {} : dialect.limitHeaders(pool.state(now), now);
  return { status: 200, headers, body: listBody(dialect.provider, now) };
}

function dialectFor(req: IncomingMessage, path: string): Dialect | undefined {
  if (path === '/openai/v1/models') return groq;
  if (path === '/v1beta/models' || path === '/v1beta1/models') return gemini;
  if (path === '/v1/models') return header(req, 'anthropic-version') === undefined ? openai : anthropic;
  return undefined;
}

function listBody(provider: Dialect['provider'], now: number): unknown {
  const id = MODEL[provider];
  const created = Math.floor(now / 1000);
  switch (provider) {
    case 'openai':
    case 'groq':
      return { object: 'list', data: [{ id, object: 'model', created, owned_by: provider }] };
    case 'anthropic':
      return {
        data: [{ type: 'model', id, display_name: id, created_at: new Date(now).toISOString() }],
        has_more: false,
        first_id: id,
        last_id: id,
      };
    case 'gemini':
      return {
        models: [
          {
            name: `models/${id}`,
            displayName: id,
            supportedGenerationMethods: ['generateContent', 'countTokens'],
          },
        ],
      };
  }
}

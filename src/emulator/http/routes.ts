import { createAnthropicDialect } from '../dialects/anthropic-dialect.js';
import type { Dialect } from '../dialects/dialect.js';
import { createGeminiDialect } from '../dialects/gemini-dialect.js';
import { createOpenAIDialect } from '../dialects/openai-dialect.js';
import type { Endpoint } from '../ledger.js';

export interface Route {
  readonly dialect: Dialect;
  readonly endpoint: Endpoint;
}

const openai = createOpenAIDialect('openai');
const groq = createOpenAIDialect('groq');
const anthropic = createAnthropicDialect();
const gemini = createGeminiDialect();

const FIXED: ReadonlyMap<string, Route> = new Map([
  ['/v1/chat/completions', { dialect: openai, endpoint: 'chat' }],
  ['/v1/embeddings', { dialect: openai, endpoint: 'embeddings' }],
  ['/openai/v1/chat/completions', { dialect: groq, endpoint: 'chat' }],
  ['/openai/v1/embeddings', { dialect: groq, endpoint: 'embeddings' }],
  ['/v1/messages', { dialect: anthropic, endpoint: 'chat' }],
]);

/** Both Google SDKs call `/v1beta/models/{model}:generateContent`; `/v1` is accepted too. */
const GEMINI_PATH = /^\/(v1beta|v1)\/models\/[^/:]+:(generateContent|streamGenerateContent)$/;

/** `GET` models lists; `/v1/models` is OpenAI's, or Anthropic's when the request has `anthropic-version`. */
function modelsRoute(pathname: string, anthropicVersion: boolean): Route | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/v1/models') return { dialect: anthropicVersion ? anthropic : openai, endpoint: 'models' };
  if (path === '/openai/v1/models') return { dialect: groq, endpoint: 'models' };
  if (path === '/v1beta/models') return { dialect: gemini, endpoint: 'models' };
  return undefined;
}

/** The dialect and endpoint of a request, or undefined when the emulator does not serve the path. */
export function routeFor(
  method: string | undefined,
  pathname: string,
  anthropicVersion = false,
): Route | undefined {
  if (method === 'GET') return modelsRoute(pathname, anthropicVersion);
  if (method !== 'POST') return undefined;
  const fixed = FIXED.get(pathname.replace(/\/+$/, ''));
  if (fixed !== undefined) return fixed;
  return GEMINI_PATH.test(pathname) ? { dialect: gemini, endpoint: 'chat' } : undefined;
}

/** The dialect whose error format an unserved path gets, judged by its prefix. */
export function dialectForPath(pathname: string): Dialect {
  if (pathname.startsWith('/openai/')) return groq;
  if (pathname.startsWith('/v1beta/')) return gemini;
  if (pathname.startsWith('/v1/messages')) return anthropic;
  return openai;
}

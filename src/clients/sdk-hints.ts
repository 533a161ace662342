import type { GoogleGenAI } from '@google/genai';
import type { GoogleGenerativeAI } from '@google/generative-ai';
import { GENAI_PACKAGE, GENERATIVE_AI_PACKAGE, type GeminiClients } from '../providers/gemini-clients.js';
import { requireSdk } from '../providers/load-sdk.js';
import {
  anySignal,
  type ClientHints,
  googleChatHints,
  isPlainObject,
  signalAt,
  signalInLastOptions,
} from './client-hints.js';

const SHAPE_KEY = 'keymux-shape-client-never-sends';

/** The shape client's fetch: the shape is only read for its structure, never asked to send. */
export const neverFetch: typeof fetch = () =>
  Promise.reject(new Error('keymux: a wrapped client’s shape never sends requests'));

/** The HTTP verbs of the Stainless-built clients (`client.post('/path', { body })`). */
const STAINLESS_ROOT_CALLS = new Set(['get', 'post', 'put', 'patch', 'delete', 'request', 'getAPIList']);
/** Local helpers on resources: webhook signature checks. */
const STAINLESS_HELPERS = new Set(['unwrap', 'verifySignature']);

interface StainlessSdk {
  new (options: { apiKey: string; fetch: typeof fetch; maxRetries: number }): object;
}

/** The SDKs' stream and tool-loop helpers, which make their requests through their own client. */
export const STAINLESS_COMPOSITES: Readonly<Record<string, readonly string[]>> = {
  openai: ['chat.completions.stream', 'chat.completions.runTools', 'responses.stream'],
  '@anthropic-ai/sdk': ['messages.stream'],
};

/**
 * Anthropic's tool runner and message threads build each request on the SDK's internal APIPromise
 * (`_responseProps()`), which a keymux job does not hand out.
 */
const STAINLESS_UNSUPPORTED: Readonly<Record<string, readonly string[]>> = {
  '@anthropic-ai/sdk': ['beta.messages.toolRunner', 'beta.messages.thread'],
};

/** Stainless resources hold their client; config values (`logger`, `_options`) do not. */
function isStainlessResource(value: object): boolean {
  return Reflect.has(value, '_client');
}

/**
 * OpenAI, Anthropic and Groq: every method below the root sends a request, but for the composites.
 * The shape is rebuilt when the module changes (CommonJS, then ESM once preloaded).
 */
export function stainlessHints(provider: string, packageName: string, exportName: string): ClientHints {
  let built: { Client: StainlessSdk; shape: object } | undefined;
  return {
    provider,
    packageName,
    shape: () => {
      const Client = requireSdk<Record<string, StainlessSdk>>(packageName)[exportName]!;
      if (built?.Client !== Client)
        built = { Client, shape: new Client({ apiKey: SHAPE_KEY, fetch: neverFetch, maxRetries: 0 }) };
      return built.shape;
    },
    prototype: () => requireSdk<Record<string, StainlessSdk>>(packageName)[exportName]?.prototype ?? null,
    select: (keyClient) => keyClient as object,
    factories: [],
    composites: STAINLESS_COMPOSITES[packageName] ?? [],
    unsupported: STAINLESS_UNSUPPORTED[packageName] ?? [],
    isNamespace: isStainlessResource,
    rootCalls: STAINLESS_ROOT_CALLS,
    helpers: STAINLESS_HELPERS,
    withSignal: signalInLastOptions,
  };
}

/** `@google/generative-ai`: models and chat sessions come from sync factories; their methods send. */
export function generativeAIHints(): ClientHints {
  return {
    provider: 'gemini',
    packageName: GENERATIVE_AI_PACKAGE,
    shape: () =>
      new (requireSdk<typeof import('@google/generative-ai')>(GENERATIVE_AI_PACKAGE).GoogleGenerativeAI)(
        SHAPE_KEY,
      ),
    prototype: () =>
      requireSdk<typeof import('@google/generative-ai')>(GENERATIVE_AI_PACKAGE).GoogleGenerativeAI.prototype,
    select: (keyClient): GoogleGenerativeAI => (keyClient as GeminiClients).generativeAI,
    factories: ['getGenerativeModel', 'getGenerativeModelFromCachedContent', 'startChat'],
    chat: googleChatHints('startChat'),
    rootCalls: new Set(),
    helpers: new Set(['getHistory']),
    // Every request method takes `(request, requestOptions = {})`: the default hides it from `fn.length`.
    withSignal: (_fn, args, signal) => signalAt(1, args, signal),
  };
}

/** `@google/genai` takes its signal as `config.abortSignal` of the one params object. */
function genAISignal(_fn: unknown, args: readonly unknown[], signal: AbortSignal): unknown[] {
  const [params, ...rest] = args;
  if (!isPlainObject(params)) return [...args];
  const config = isPlainObject(params.config) ? params.config : {};
  return [{ ...params, config: { ...config, abortSignal: anySignal(config.abortSignal, signal) } }, ...rest];
}

function genAIRequestSignal(args: readonly unknown[]): AbortSignal | undefined {
  const config = isPlainObject(args[0]) ? args[0].config : undefined;
  const signal = isPlainObject(config) ? config.abortSignal : undefined;
  return signal instanceof AbortSignal ? signal : undefined;
}

/** `@google/genai`: `ai.models.generateContent(…)` and friends send; `ai.chats.create` is a sync factory. */
export function genAIHints(): ClientHints {
  return {
    provider: 'gemini',
    packageName: GENAI_PACKAGE,
    shape: () =>
      new (requireSdk<typeof import('@google/genai')>(GENAI_PACKAGE).GoogleGenAI)({ apiKey: SHAPE_KEY }),
    prototype: () => requireSdk<typeof import('@google/genai')>(GENAI_PACKAGE).GoogleGenAI.prototype,
    select: (keyClient): GoogleGenAI => (keyClient as GeminiClients).genAI,
    factories: ['chats.create'],
    chat: googleChatHints('chats.create'),
    rootCalls: new Set(),
    helpers: new Set(['getHistory']),
    withSignal: genAISignal,
    requestSignal: genAIRequestSignal,
  };
}

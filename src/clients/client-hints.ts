// What the client wrapper knows of each SDK: the ClientHints contract, the hints of the SDKs keymux wraps
// (the Stainless-built OpenAI, Anthropic and Groq clients, both Google SDKs), and the helpers reading a
// call's path, arguments, signal and chat session, and what a budget needs of a request (its SpendRequest).
import type { GoogleGenAI } from '@google/genai';
import type { GoogleGenerativeAI } from '@google/generative-ai';
import { ANTHROPIC_TOKEN_PROFILE } from '../providers/anthropic.js';
import { GEMINI_TOKEN_PROFILE } from '../providers/gemini.js';
import { GENAI_PACKAGE, GENERATIVE_AI_PACKAGE, type GeminiClients } from '../providers/gemini-clients.js';
import { requireSdk } from '../providers/load-sdk.js';
import { OPENAI_TOKEN_PROFILE } from '../providers/openai.js';
import { isRecord, numberAt, textTokens } from '../providers/wire-values.js';
import type { SpendRequest } from '../spend/spend.js';

/** What the generic client wrapper needs to know of one SDK: small hints, no per-method lists. */
export interface ClientHints {
  readonly provider: string;
  /** The optional peer package, loaded before the first call. */
  readonly packageName: string;
  /** A client built with a placeholder key that can never send: only its structure is read. */
  shape(): object;
  /** The prototype of the SDK's client class as loaded now (ESM once preloaded), for `instanceof`. */
  prototype?(): object | null;
  /** The SDK client inside a key's client (a Gemini key's client holds both Google SDKs). */
  select(keyClient: unknown): object;
  /**
   * Sync methods that return a namespace to wrap in turn, as dotted path suffixes (Gemini's
   * `getGenerativeModel`, `@google/genai`'s `chats.create`).
   */
  readonly factories: readonly string[];
  /**
   * Sync helpers that compose requests of the same client, as dotted path suffixes (Anthropic's
   * `messages.stream`, OpenAI's `chat.completions.stream` / `runTools`, `responses.stream`). They run
   * here, on the wrapper, so each request they make is a keymux job and the caller gets the SDK's own
   * helper object (`MessageStream`, `ChatCompletionStream`, …) rather than a promise of one.
   */
  readonly composites?: readonly string[];
  /**
   * Helpers the wrapper cannot route through keymux, as dotted path suffixes: calling one throws,
   * rather than handing out an object that would send on one key behind keymux's back.
   */
  readonly unsupported?: readonly string[];
  /** Chat sessions, whose history the wrapper keeps across messages (see ChatHistory below). */
  readonly chat?: ChatHints;
  /**
   * Whether an object reached from the client is a namespace of requests to wrap in turn; plain values
   * such as `client.logger` or `client._options` are handed out as they are. All objects when absent.
   */
  isNamespace?(value: object): boolean;
  /** Methods of the root client that send a request (`client.post(…)`); at the root, others are helpers. */
  readonly rootCalls: ReadonlySet<string>;
  /** Methods below the root that are local helpers, not requests (`webhooks.unwrap`). */
  readonly helpers: ReadonlySet<string>;
  /** The call's arguments with the job's signal added, so an aborted or timed-out job stops its request. */
  withSignal(fn: (...args: unknown[]) => unknown, args: readonly unknown[], signal: AbortSignal): unknown[];
  /**
   * The signal the caller passed with this one request (`create(body, { signal })`), which becomes the
   * job's own, so it also ends the job while it waits in a queue. `signalInOptions` when absent.
   */
  requestSignal?(args: readonly unknown[]): AbortSignal | undefined;
}

/** How one SDK's chat sessions take and give their history. */
export interface ChatHints {
  /** Factories that start a session, as dotted path suffixes (`startChat`, `chats.create`). */
  readonly factories: readonly string[];
  /** The session's history, once its last reply is complete (the Google SDKs' `getHistory()`). */
  readHistory(session: object): unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function anySignal(own: unknown, signal: AbortSignal): AbortSignal {
  return own instanceof AbortSignal ? AbortSignal.any([own, signal]) : signal;
}

/** A `signal` in any options object of the call: where the Stainless SDKs and @google/generative-ai take it. */
export function signalInOptions(args: readonly unknown[]): AbortSignal | undefined {
  for (const arg of args) {
    if (isPlainObject(arg) && arg.signal instanceof AbortSignal) return arg.signal;
  }
  return undefined;
}

/** The arguments with `signal` merged into the request options at `index` (made when absent). */
export function signalAt(index: number, args: readonly unknown[], signal: AbortSignal): unknown[] {
  const out = [...args];
  const options = out[index];
  if (options !== undefined && !isPlainObject(options)) return out;
  while (out.length < index) out.push(undefined);
  out[index] = { ...options, signal: anySignal(options?.signal, signal) };
  return out;
}

/**
 * OpenAI, Anthropic and Groq take request options (with `signal`) as the last declared parameter:
 * `create(body, options)`, `retrieve(id, params, options)`. Methods whose declared length says nothing
 * are left as they are: the worker still answers the caller at once on abort.
 */
export function signalInLastOptions(
  fn: (...args: unknown[]) => unknown,
  args: readonly unknown[],
  signal: AbortSignal,
): unknown[] {
  const index = fn.length - 1;
  if (index < 1 || args.length > fn.length) return [...args];
  return signalAt(index, args, signal);
}

/**
 * One step of a recorded path: a property read, or a sync factory call (replayed on each key's
 * client); a chat session's factory call carries the chat's history into its arguments.
 */
export type Step =
  | { readonly get: string }
  | { readonly call: readonly unknown[]; readonly chat?: ChatHistory | undefined };

/** The chat session a path runs in, if any. */
export function chatOf(steps: readonly Step[]): ChatHistory | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if ('call' in step && step.chat) return step.chat;
  }
  return undefined;
}

type AnyFunction = (...args: unknown[]) => unknown;

/** The same path walked on a key's own SDK client: the function to apply and its `this`. */
export function resolvePath(client: object, steps: readonly Step[]): { fn: AnyFunction; owner: object } {
  let owner: object = client;
  let value: unknown = client;
  for (const step of steps) {
    if ('get' in step) {
      owner = value as object;
      value = Reflect.get(owner, step.get);
    } else {
      value = (value as AnyFunction).apply(owner, [...step.call]);
    }
  }
  if (typeof value !== 'function') throw new TypeError(`${describe(steps)} is not a function on this client`);
  return { fn: value as AnyFunction, owner };
}

function describe(steps: readonly Step[]): string {
  return steps.map((s) => ('get' in s ? s.get : '()')).join('.');
}

/**
 * Whether a request asks for a stream, before it is sent: `stream: true` in the body or options
 * (OpenAI, Anthropic, Groq, and their `client.post(path, { stream: true })`), or a method named for it
 * (`generateContentStream`, `sendMessageStream` of both Google SDKs).
 */
export function isStreamRequest(path: readonly Step[], args: readonly unknown[]): boolean {
  const method = [...path].reverse().find((s): s is { get: string } => 'get' in s)?.get ?? '';
  if (method.endsWith('Stream')) return true;
  return args.some((arg) => isPlainObject(arg) && arg.stream === true);
}

/**
 * One wrapped chat session's history. A key's session is made afresh for every message (any key
 * may answer it), so the history each one ends with is kept here and given to the next as its
 * starting history: `startChat({ history })`, `chats.create({ history })`. As the SDKs' own
 * sessions, it sends one message at a time: the next waits for the last reply (or stream) to end.
 */
export class ChatHistory {
  readonly #args: readonly unknown[];
  readonly #hints: ChatHints;
  #history: unknown[] | undefined;
  #pending: Promise<void> = Promise.resolve();

  constructor(args: readonly unknown[], hints: ChatHints) {
    this.#args = args;
    this.#hints = hints;
  }

  /** The factory's arguments, with the history so far in its params. */
  get args(): readonly unknown[] {
    if (this.#history === undefined) return this.#args;
    const [params, ...rest] = this.#args;
    return [{ ...(isPlainObject(params) ? params : {}), history: this.#history }, ...rest];
  }

  /** After a message on a key's session: that session's history, once `ended`, is the chat's. */
  follow(session: object, ended: Promise<unknown>): void {
    this.#pending = ended
      .then(() => this.#hints.readHistory(session))
      .then(
        (history) => {
          if (Array.isArray(history)) this.#history = history;
        },
        () => undefined,
      );
  }

  /** Settles once the last message's history is in. */
  settled(): Promise<void> {
    return this.#pending;
  }
}

/** `getHistory()` of both Google SDKs' sessions (a Promise in one, an array in the other). */
export function googleChatHints(factory: string): ChatHints {
  return {
    factories: [factory],
    readHistory: (session) => (session as { getHistory(): unknown }).getHistory(),
  };
}

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

/** The request's model, when its body names one (`create({ model, … })`): what fallbacks are keyed by. */
export function modelOf(args: readonly unknown[]): string | undefined {
  const body = args[0];
  return isPlainObject(body) && typeof body.model === 'string' ? body.model : undefined;
}

/** `getGenerativeModel({ model, … })` (`@google/generative-ai`): where in the path the call's model is named. */
export interface FactoryModel {
  readonly index: number;
  readonly args: readonly unknown[];
  readonly model: string;
}

export function factoryModelOf(path: readonly Step[]): FactoryModel | undefined {
  for (let i = path.length - 1; i > 0; i--) {
    const step = path[i]!;
    if (!('call' in step)) continue;
    const before = path[i - 1]!;
    const params = step.call[0];
    if (!('get' in before) || before.get !== 'getGenerativeModel' || !isPlainObject(params)) return undefined;
    if (typeof params.model !== 'string') return undefined;
    // The SDK takes `models/gemini-…` and `gemini-…` alike; fallbacks are keyed by the bare name.
    return { index: i, args: step.call, model: params.model.replace(/^models\//, '') };
  }
  return undefined;
}

/**
 * The model a call runs on: its body's `model`, else the one `@google/generative-ai`'s
 * `getGenerativeModel({ model })` named (its requests carry none).
 */
export function modelOfCall(path: readonly Step[], args: readonly unknown[]): string | undefined {
  return modelOf(args) ?? factoryModelOf(path)?.model;
}

/** Where any provider's request names its output maximum. */
const MAX_PATHS = [
  ...OPENAI_TOKEN_PROFILE.maxPaths,
  ...ANTHROPIC_TOKEN_PROFILE.maxPaths,
  ...GEMINI_TOKEN_PROFILE.maxPaths,
];

/**
 * What a budget needs of a request before it is sent: its model, a prompt estimate that is never short
 * (every string of the request counts) and its output maximum. The model is read at once (every call's
 * cost is counted by model); the rest only when a budget asks, since walking every string of a long
 * prompt is the dearest part and a call no budget covers never needs it.
 */
class RequestSpend implements SpendRequest {
  #prompt: number | undefined;
  #max: { readonly value: number | undefined } | undefined;

  constructor(
    readonly request: unknown,
    readonly model: string | undefined,
  ) {}

  get promptTokens(): number {
    this.#prompt ??= textTokens(this.request);
    return this.#prompt;
  }

  get maxOutputTokens(): number | undefined {
    if (!this.#max) {
      let value: number | undefined;
      for (const path of MAX_PATHS) {
        value = numberAt(this.request, ...path);
        if (value !== undefined) break;
      }
      this.#max = { value };
    }
    return this.#max.value;
  }
}

/**
 * A request's `SpendRequest` (lazy: see RequestSpend). `model` when the model sent is not the request's
 * own (the gateway's routing). Read its fields; a spread copies only `model` and `request`.
 */
export function spendRequestOf(request: unknown, model?: string): SpendRequest {
  const own = isRecord(request) && typeof request.model === 'string' ? request.model : undefined;
  return new RequestSpend(request, model ?? own);
}

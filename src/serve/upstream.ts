import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import type { SecretScrubber } from '../core/redact.js';
import { injectContext } from '../telemetry/propagation.js';
import { UpstreamHttpError } from './upstream-error.js';

/** The four pools the gateway serves; Groq speaks OpenAI's format on its own keys. */
export type GatewayProvider = 'openai' | 'groq' | 'anthropic' | 'gemini';

/** One client request, as it goes to the provider on the chosen key. */
export interface UpstreamRequest {
  readonly provider: GatewayProvider;
  /** The model the client named (the body's `model`, Gemini's path), for metrics only. */
  readonly model: string | undefined;
  readonly method: 'GET' | 'POST';
  /** Relative to the key's base URL as its SDK client holds it (OpenAI's ends in `/v1`). */
  readonly path: string;
  /** Query string, `?` included, or ''. Only Gemini needs one (`?alt=sse`). */
  readonly query: string;
  readonly body: Buffer | undefined;
  /** Headers of the client's that the provider should see (betas, API version), never its credential. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A provider's 2xx answer: its body still unread, a stream of bytes as they arrive. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Dispatcher.ResponseData['body'];
}

/** Where one key's requests go, and how it authenticates: read once from its SDK client. */
interface KeyTarget {
  readonly origin: string;
  /** The base URL's path, without a trailing slash: `/v1` for OpenAI's. */
  readonly basePath: string;
  /** Headers the key's SDK would send unless the client names its own (Anthropic's API version). */
  readonly defaults: Readonly<Record<string, string>>;
  readonly auth: Readonly<Record<string, string>>;
}

const DEFAULT_BASE: Readonly<Record<GatewayProvider, string>> = {
  openai: 'https://api.openai.com/v1',
  groq: 'https://api.groq.com',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

/** What Anthropic's SDK sends when its caller names no version. */
const ANTHROPIC_VERSION = '2023-06-01';

function stringProp(client: unknown, name: string): string | undefined {
  const value = (client as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The key's auth headers as its SDK sends them: Bearer, Anthropic's `x-api-key`, Google's `x-goog-api-key`. */
function authHeaders(provider: GatewayProvider, client: unknown, apiKey: string): Record<string, string> {
  if (provider === 'anthropic') return { 'x-api-key': apiKey };
  if (provider === 'gemini') return { 'x-goog-api-key': apiKey };
  const auth: Record<string, string> = { authorization: `Bearer ${apiKey}` };
  // The openai SDK's organization and project (its options or OPENAI_ORG_ID / OPENAI_PROJECT_ID).
  const organization = stringProp(client, 'organization');
  const project = stringProp(client, 'project');
  if (organization !== undefined) auth['openai-organization'] = organization;
  if (project !== undefined) auth['openai-project'] = project;
  return auth;
}

/** A response's headers as a `Headers`, which the adapters' limit readers and error classifier take. */
export function toHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') out.append(name, value);
    else if (Array.isArray(value)) for (const item of value) out.append(name, item);
  }
  return out;
}

function parsedBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // An HTML page from a proxy: keep the text.
  }
}

/**
 * Sends gateway requests on keys with undici, the body's bytes as the client sent them: no SDK
 * request building, no fetch and web streams in between. What the SDKs would add stays the same: the
 * key's auth headers, its limit headers fed to its buckets on every answer (`observe`), and a non-2xx
 * answer thrown as an error shaped like theirs, so keymux classifies it as it classifies theirs.
 */
export class Upstream {
  readonly #agent: Agent;
  readonly #targets = new WeakMap<object, KeyTarget>();
  readonly #scrubber: SecretScrubber;

  /**
   * `idleTimeoutMs` ends a body (a stream above all) that sends nothing for that long: the multiplexer's
   * `streamIdleTimeoutMs`. The wait for the answer's head is the attempt's deadline (`attemptTimeoutMs`).
   */
  constructor(idleTimeoutMs: number, scrubber: SecretScrubber) {
    this.#scrubber = scrubber;
    this.#agent = new Agent({ headersTimeout: 0, bodyTimeout: idleTimeoutMs });
  }

  /** Reads a key's base URL and key from its SDK client (or Gemini's clients), once per key. */
  #target(provider: GatewayProvider, client: unknown): KeyTarget {
    const known = this.#targets.get(client as object);
    if (known) return known;
    const apiKey = apiKeyOf(client);
    if (apiKey === undefined) throw new TypeError(`a ${provider} key's client holds no API key`);
    this.#scrubber.add(apiKey);
    const base = new URL(stringProp(client, 'baseURL') ?? DEFAULT_BASE[provider]);
    const target: KeyTarget = {
      origin: base.origin,
      basePath: base.pathname.replace(/\/+$/, ''),
      defaults: provider === 'anthropic' ? { 'anthropic-version': ANTHROPIC_VERSION } : {},
      auth: authHeaders(provider, client, apiKey),
    };
    this.#targets.set(client as object, target);
    return target;
  }

  async send(
    client: unknown,
    request: UpstreamRequest,
    signal: AbortSignal,
    observe: (headers: Headers) => void,
  ): Promise<UpstreamResponse> {
    const target = this.#target(request.provider, client);
    const headers: Record<string, string> = { ...target.defaults, ...request.headers, ...target.auth };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    // The attempt's span (its context is active here) is the parent of the provider's side of the trace.
    injectContext(headers);
    const response = await this.#agent.request({
      origin: target.origin,
      path: `${target.basePath}${request.path}${request.query}`,
      method: request.method,
      headers,
      body: request.body ?? null,
      signal,
    });
    const status = response.statusCode;
    const seen = toHeaders(response.headers);
    observe(seen);
    if (status >= 200 && status < 300) return { status, headers: response.headers, body: response.body };
    throw new UpstreamHttpError(status, seen, parsedBody(await response.body.text()));
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** The key's value, to scrub from whatever the provider echoes back. */
export function apiKeyOf(client: unknown): string | undefined {
  return stringProp(client, 'apiKey');
}

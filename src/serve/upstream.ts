import { UpstreamHttpError } from './upstream-error.js';

/** The four pools the gateway serves; Groq speaks OpenAI's format on its own keys. */
export type GatewayProvider = 'openai' | 'groq' | 'anthropic' | 'gemini';

/** One client request, as it goes to the provider on the chosen key. */
export interface UpstreamRequest {
  readonly provider: GatewayProvider;
  readonly method: 'GET' | 'POST';
  /** Relative to the key's base URL as its SDK client holds it (OpenAI's ends in `/v1`). */
  readonly path: string;
  /** Query string, `?` included, or ''. Only Gemini needs one (`?alt=sse`). */
  readonly query: string;
  readonly body: Buffer | undefined;
  /** Headers of the client's that the provider should see (betas, API version), never its credential. */
  readonly headers: Readonly<Record<string, string>>;
}

interface RawRequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The raw-request surface the Stainless SDKs (openai, @anthropic-ai/sdk, groq-sdk) share. */
interface StainlessClient {
  post(path: string, opts: RawRequestOptions): { asResponse(): Promise<Response> };
  get(path: string, opts: RawRequestOptions): { asResponse(): Promise<Response> };
}

interface GeminiKeyClient {
  readonly apiKey: string;
  readonly baseURL: string | undefined;
}

const GOOGLE_BASE = 'https://generativelanguage.googleapis.com';

/**
 * Sends the request with the key's own SDK client: its auth headers, its observed fetch (so limit
 * headers keep the key's buckets in step) and its error classes (so failures classify as usual).
 */
function viaSdk(client: StainlessClient, request: UpstreamRequest, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const opts: RawRequestOptions = { headers, signal };
  if (request.method === 'GET') return client.get(request.path, opts).asResponse();
  opts.body = request.body;
  return client.post(request.path, opts).asResponse();
}

/** Neither Google SDK takes raw bodies: a plain fetch with the key, failures shaped like the SDKs' errors. */
async function viaFetch(
  client: GeminiKeyClient,
  request: UpstreamRequest,
  signal: AbortSignal,
): Promise<Response> {
  const base = (client.baseURL ?? GOOGLE_BASE).replace(/\/+$/, '');
  const response = await fetch(`${base}${request.path}${request.query}`, {
    method: request.method,
    headers: { ...request.headers, 'content-type': 'application/json', 'x-goog-api-key': client.apiKey },
    ...(request.body === undefined ? {} : { body: request.body }),
    signal,
  });
  if (response.ok) return response;
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // An HTML page from a proxy: keep the text.
  }
  throw new UpstreamHttpError(response.status, response.headers, body);
}

export function sendUpstream(
  client: unknown,
  request: UpstreamRequest,
  signal: AbortSignal,
): Promise<Response> {
  return request.provider === 'gemini'
    ? viaFetch(client as GeminiKeyClient, request, signal)
    : viaSdk(client as StainlessClient, request, signal);
}

/** The key's value, to scrub from whatever the provider echoes back. */
export function apiKeyOf(client: unknown): string | undefined {
  const key = (client as { apiKey?: unknown } | null)?.apiKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

import type { GoogleGenAI } from '@google/genai';
import type {
  CachedContent,
  GenerativeModel,
  GoogleGenerativeAI,
  ModelParams,
  RequestOptions,
} from '@google/generative-ai';
import type { ClientSpec } from './adapter.js';
import { requireSdk } from './load-sdk.js';

export const GENERATIVE_AI_PACKAGE = '@google/generative-ai';
export const GENAI_PACKAGE = '@google/genai';

/**
 * One Gemini key's clients. Keys are shared by both Google SDKs, so each is built on first use and
 * only its own package is needed. Neither SDK takes a custom `fetch` (Gemini sends no limit headers
 * anyway) nor retries by default: `@google/genai` retries only when `retryOptions` is given.
 */
export class GeminiClients {
  readonly #spec: ClientSpec;
  /** Each client with the module it was built from: rebuilt once the ESM build replaces CommonJS. */
  #generativeAI: { sdk: unknown; client: GoogleGenerativeAI } | undefined;
  #genAI: { sdk: unknown; client: GoogleGenAI } | undefined;

  constructor(spec: ClientSpec) {
    this.#spec = spec;
  }

  /** `@google/generative-ai`'s client; its models use the key's base URL unless told otherwise. */
  get generativeAI(): GoogleGenerativeAI {
    const sdk = requireSdk<typeof import('@google/generative-ai')>(GENERATIVE_AI_PACKAGE);
    if (this.#generativeAI?.sdk === sdk) return this.#generativeAI.client;
    const client = new sdk.GoogleGenerativeAI(this.#spec.apiKey);
    const baseUrl = this.#spec.baseURL;
    if (baseUrl !== undefined) {
      // The base URL is a per-model request option in this SDK; give it to every model by default.
      const withBase = (options: RequestOptions | undefined): RequestOptions => ({ baseUrl, ...options });
      const getModel = client.getGenerativeModel.bind(client);
      const getCached = client.getGenerativeModelFromCachedContent.bind(client);
      client.getGenerativeModel = (params: ModelParams, options?: RequestOptions): GenerativeModel =>
        getModel(params, withBase(options));
      client.getGenerativeModelFromCachedContent = (
        content: CachedContent,
        params?: Partial<ModelParams>,
        options?: RequestOptions,
      ): GenerativeModel => getCached(content, params, withBase(options));
    }
    this.#generativeAI = { sdk, client };
    return client;
  }

  /** `@google/genai`'s client. */
  get genAI(): GoogleGenAI {
    const sdk = requireSdk<typeof import('@google/genai')>(GENAI_PACKAGE);
    if (this.#genAI?.sdk === sdk) return this.#genAI.client;
    const baseUrl = this.#spec.baseURL;
    const client = new sdk.GoogleGenAI({
      apiKey: this.#spec.apiKey,
      ...(baseUrl === undefined ? {} : { httpOptions: { baseUrl } }),
    });
    this.#genAI = { sdk, client };
    return client;
  }

  /** The key itself, as the SDK clients expose theirs (for `withKeyRotation`); never serialized. */
  get apiKey(): string {
    return this.#spec.apiKey;
  }

  /** For `execute('gemini', (client) => client.getGenerativeModel(…))`, as with the SDK's own client. */
  getGenerativeModel(params: ModelParams, options?: RequestOptions): GenerativeModel {
    return this.generativeAI.getGenerativeModel(params, options);
  }

  toJSON(): { provider: string } {
    return { provider: 'gemini' };
  }
}

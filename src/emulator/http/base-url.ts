/** The SDKs' names for the providers the emulator speaks, with both Google SDKs. */
export type SdkName = 'openai' | 'groq' | 'anthropic' | 'gemini' | 'google-genai';

/**
 * The base URL to give each official SDK so that it calls the emulator at `url`:
 * - `openai`: `new OpenAI({ baseURL })` → `${url}/v1` (the SDK appends `/chat/completions`)
 * - `groq`: `new Groq({ baseURL })` → `${url}` (the SDK appends `/openai/v1/…`)
 * - `anthropic`: `new Anthropic({ baseURL })` → `${url}` (the SDK appends `/v1/messages`)
 * - `gemini` (`@google/generative-ai`): `getGenerativeModel(params, { baseUrl })` → `${url}` (appends `/v1beta/models/…`)
 * - `google-genai` (`@google/genai`): `new GoogleGenAI({ httpOptions: { baseUrl } })` → `${url}` (appends `/v1beta/models/…`)
 */
export function baseUrlFor(sdk: SdkName, url: string): string {
  const base = url.replace(/\/+$/, '');
  return sdk === 'openai' ? `${base}/v1` : base;
}

/**
 * `keymux/gemini`: the `@google/generative-ai` package's types for `mux.getGeminiClient()`. Import it
 * once in a TypeScript program that uses that client; it needs `@google/generative-ai` installed. For
 * `@google/genai` (`mux.getGenAIClient()`), import `keymux/genai`.
 */
import type { GoogleGenerativeAI } from '@google/generative-ai';

declare module './clients/sdk-types.js' {
  interface SdkClients {
    gemini: GoogleGenerativeAI;
  }
}

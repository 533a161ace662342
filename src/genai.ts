/**
 * `keymux/genai`: the `@google/genai` package's types for `mux.getGenAIClient()`. Import it once in a
 * TypeScript program that uses that client; it needs `@google/genai` installed.
 */
import type { GoogleGenAI } from '@google/genai';

declare module './clients/sdk-types.js' {
  interface SdkClients {
    genai: GoogleGenAI;
  }
}

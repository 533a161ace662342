/**
 * `keymux/openai`: the `openai` package's types for `mux.getOpenAIClient()`. Import it once in a
 * TypeScript program that uses the OpenAI client; it needs `openai` installed, and nothing else.
 */
import type OpenAI from 'openai';

declare module './clients/sdk-types.js' {
  interface SdkClients {
    openai: OpenAI;
  }
}

export { createOpenAIAdapter } from './providers/openai.js';

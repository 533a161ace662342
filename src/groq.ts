/**
 * `keymux/groq`: the `groq-sdk` package's types for `mux.getGroqClient()`. Import it once in a
 * TypeScript program that uses the Groq client; it needs `groq-sdk` installed.
 */
import type Groq from 'groq-sdk';

declare module './clients/sdk-types.js' {
  interface SdkClients {
    groq: Groq;
  }
}

export { createGroqAdapter } from './providers/groq.js';

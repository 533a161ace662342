/**
 * `keymux/anthropic`: the `@anthropic-ai/sdk` package's types for `mux.getAnthropicClient()`. Import it
 * once in a TypeScript program that uses the Anthropic client; it needs `@anthropic-ai/sdk` installed.
 */
import type Anthropic from '@anthropic-ai/sdk';

declare module './clients/sdk-types.js' {
  interface SdkClients {
    anthropic: Anthropic;
  }
}

export { createAnthropicAdapter } from './providers/anthropic.js';

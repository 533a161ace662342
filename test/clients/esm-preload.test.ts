import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { esmSdk } from '../../src/providers/load-sdk.js';

// Nothing in this file preloads the SDK: only the multiplexer does, when it is made.
describe('a multiplexer preloads the installed SDKs’ ESM builds', () => {
  it('so a direct execute, before any wrapped client, throws the caller’s own error classes', async () => {
    const emulator = await startEmulator({ keys: [{ key: 'sk-emu-esm-000000000002', name: 'a' }] });
    const mux = new Multiplexer();
    try {
      mux.addKey('openai', {
        apiKey: 'sk-emu-esm-000000000002',
        baseURL: baseUrlFor('openai', emulator.url),
      });
      await expect.poll(() => esmSdk('openai') !== undefined).toBe(true);
      const error = await mux
        .execute('openai', (client) =>
          (client as OpenAI).chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).cause).toBeInstanceOf(OpenAI.BadRequestError);
    } finally {
      await mux.close();
      await emulator.close();
    }
  });
});

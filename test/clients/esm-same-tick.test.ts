import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';

// Its own file, so that no earlier test has loaded the SDK through keymux.
describe('a call made in the multiplexer’s first tick', () => {
  it('still builds its client from the caller’s SDK module: the error classes match', async () => {
    const emulator = await startEmulator({ keys: [{ key: 'sk-emu-tick-000000000003', name: 'a' }] });
    try {
      const mux = new Multiplexer();
      mux.addKey('openai', {
        apiKey: 'sk-emu-tick-000000000003',
        baseURL: baseUrlFor('openai', emulator.url),
      });
      // No await between creating the multiplexer and the call.
      const error = await mux
        .execute('openai', (client) =>
          (client as OpenAI).chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).cause).toBeInstanceOf(OpenAI.BadRequestError);
      await mux.close();
    } finally {
      await emulator.close();
    }
  });
});

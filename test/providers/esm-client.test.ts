import { createRequire } from 'node:module';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { preloadSdk } from '../../src/providers/load-sdk.js';
import { createOpenAIClient } from '../../src/providers/openai.js';

const require = createRequire(import.meta.url);
const messages = [{ role: 'user' as const, content: 'hi' }];

// Nothing in this file loads the ESM build before the test does: a key's client is made first.
describe('a key’s client built before the SDK’s ESM build is preloaded', () => {
  it('is made of the caller’s ESM module at once (Node requires ES modules), so its errors are the caller’s classes', async () => {
    const emulator = await startEmulator({ keys: [{ key: 'sk-emu-esm-000000000001', name: 'a' }] });
    try {
      const client = createOpenAIClient({
        apiKey: 'sk-emu-esm-000000000001',
        baseURL: baseUrlFor('openai', emulator.url),
        fetch,
      });
      const commonJs = require('openai') as typeof import('openai');
      expect(client).not.toBeInstanceOf(commonJs.OpenAI);
      expect(client).toBeInstanceOf(OpenAI);
      await preloadSdk('openai');
      expect(client).toBeInstanceOf(OpenAI);
      const error = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [] })
        .catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(ok.object).toBe('chat.completion');
    } finally {
      await emulator.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { KeymuxEvent } from '../../src/core/events.js';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { createOpenAIAdapter } from '../../src/providers/openai.js';

describe('a provider registered again is the one the wrapped client uses', () => {
  it('its own token estimate and usage reading serve getOpenAIClient() calls', async () => {
    const emulator = await startEmulator({ keys: [{ key: 'sk-emu-override-000000001', name: 'a' }] });
    const mux = new Multiplexer();
    try {
      const builtin = createOpenAIAdapter();
      const estimated: unknown[] = [];
      mux.registerProvider({
        ...builtin,
        estimateTokens: (request: unknown) => {
          estimated.push(request);
          return 5;
        },
        readUsage: () => ({ inputTokens: 11, outputTokens: 22 }),
      });
      mux.addKey('openai', {
        name: 'a',
        apiKey: 'sk-emu-override-000000001',
        baseURL: baseUrlFor('openai', emulator.url),
      });
      const successes: Array<Extract<KeymuxEvent, { type: 'success' }>> = [];
      mux.on('success', (e) => successes.push(e));
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
      await mux.getOpenAIClient().chat.completions.create(body);
      expect(estimated).toEqual([body]);
      expect(successes.map((e) => e.usage)).toEqual([{ inputTokens: 11, outputTokens: 22 }]);
    } finally {
      await mux.close();
      await emulator.close();
    }
  });
});

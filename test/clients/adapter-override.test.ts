import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
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

  // Wrapped calls skip the dispatcher's option check (their client's options were checked when it was made),
  // but not what a request adds: an adapter's estimate that is no token count is still refused.
  it('an estimate that is no token count still rejects the call with a ConfigError', async () => {
    const emulator = await startEmulator({ keys: [{ key: 'sk-emu-override-000000002', name: 'a' }] });
    const mux = new Multiplexer();
    try {
      const estimates = [Number.NaN, -1];
      mux.registerProvider({ ...createOpenAIAdapter(), estimateTokens: () => estimates.shift() ?? 0 });
      mux.addKey('openai', {
        name: 'a',
        apiKey: 'sk-emu-override-000000002',
        baseURL: baseUrlFor('openai', emulator.url),
      });
      const openai = mux.getOpenAIClient();
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
      for (let i = 0; i < 2; i++) {
        const error = await openai.chat.completions.create(body).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toMatch(/tokens/);
      }
      await expect(openai.chat.completions.create(body)).resolves.toMatchObject({ model: 'gpt-4o-mini' });
    } finally {
      await mux.close();
      await emulator.close();
    }
  });
});

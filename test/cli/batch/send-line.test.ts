import { describe, expect, it, vi } from 'vitest';
import { sendLine } from '../../../src/cli/batch/send-line.js';
import { startEmulator } from '../../../src/emulator/index.js';
import { Multiplexer } from '../../../src/multiplexer.js';

const KEY = 'sk-send-line-test-0123456789';

describe('keymux batch: sending a line', () => {
  it('waits while every queue is full instead of failing the line, then sends it', async () => {
    const emulator = await startEmulator({ keys: [{ key: KEY, name: 'k' }] });
    const mux = new Multiplexer({ maxConcurrentRequests: 1, queueSize: 0 });
    mux.addKey('openai', { name: 'k', apiKey: KEY, baseURL: `${emulator.url}/v1` });
    try {
      // The key's one slot is taken by a job the test ends by hand: no queue room for the line.
      let release: (() => void) | undefined;
      const blocker = mux.execute('openai', () => new Promise<void>((resolve) => (release = resolve)));
      await vi.waitFor(() => expect(release).toBeDefined());
      const signal = new AbortController().signal;
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };
      let sent = false;
      const line = sendLine(
        mux,
        { lineNumber: 1, customId: 'line-1', url: '/v1/chat/completions', body },
        { strategy: undefined, tokens: 10, signal, onSent: () => (sent = true) },
      );
      // Whatever the machine's speed, the line cannot leave while the slot is held.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sent).toBe(false);
      release?.();
      await blocker;
      const answered = await line;
      expect(answered).toMatchObject({ custom_id: 'line-1', response: { status_code: 200 }, error: null });
      expect(sent).toBe(true);
      expect(emulator.ledger.entries().filter((e) => e.requestId === 'line-1')).toHaveLength(1);
    } finally {
      await mux.close();
      await emulator.close();
    }
  });
});

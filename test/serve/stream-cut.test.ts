import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, GATEWAY_TOKEN, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];

describe('streams cut or stalled upstream', () => {
  it('Medium 4: a stream the provider cuts ends with the provider’s error event and counts against its key', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    emulator.addFault({ kind: 'cut', provider: 'openai', cutAfterChunks: 2, count: 1 });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages, stream: true }),
    });
    expect(res.status).toBe(200);
    // The body ends properly (no truncated transfer), its last event an error in OpenAI's shape.
    const text = await res.text();
    const last = text.trimEnd().split('\n\n').at(-1) ?? '';
    expect(JSON.parse(last.replace(/^data: /, ''))).toMatchObject({
      error: { type: 'server_error', message: expect.stringContaining('broke off') },
    });
    expect(text).not.toContain('[DONE]');
    const keys = mux.getUsageStats().providers.openai?.keys ?? [];
    expect(keys.reduce((n, k) => n + k.failuresByClass.transient, 0)).toBe(1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /keymux_attempts_total\{provider="openai",key="openai-[ab]",model="m",outcome="transient"\} 1/,
    );
    // The SDK raises an error instead of returning a truncated answer as complete.
    emulator.addFault({ kind: 'cut', provider: 'openai', cutAfterChunks: 2, count: 1 });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true });
    const read = async () => {
      for await (const _ of stream);
    };
    await expect(read()).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});

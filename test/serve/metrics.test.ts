import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import { createMetrics } from '../../src/serve/index.js';
import { closeAll, GATEWAY_TOKEN, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];

/** The value of one sample line, e.g. `keymux_key_up{provider="openai",key="openai-a"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('counts requests, tokens, retries and cooldowns by key name; gauges follow the keys’ state', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    emulator.addFault({ kind: 'rate-limit', key: 'openaiA', count: 1 });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 4; i++)
      await openai.chat.completions.create({ model: 'm', messages, max_tokens: 10 });
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true });
    for await (const _ of stream);
    mux.disableKey('anthropic', 'claude-a');
    const text = await (await fetch(`${url}/metrics`)).text();
    const a = 'provider="openai",key="openai-a"';
    const b = 'provider="openai",key="openai-b"';
    const ok =
      (sample(text, `keymux_requests_total{${a},status="ok"}`) ?? 0) +
      (sample(text, `keymux_requests_total{${b},status="ok"}`) ?? 0);
    expect(ok).toBe(5);
    expect(sample(text, `keymux_requests_total{${a},status="rate-limited"}`)).toBe(1);
    expect(sample(text, `keymux_key_cooldowns_total{${a},reason="rate-limited"}`)).toBe(1);
    expect(sample(text, `keymux_retries_total{${a}}`)).toBe(1);
    expect(sample(text, `keymux_tokens_total{${b},type="input"}`)).toBeGreaterThan(0);
    expect(sample(text, `keymux_request_duration_seconds_count{${b}}`)).toBeGreaterThan(0);
    expect(sample(text, 'keymux_queue_wait_seconds_count{provider="openai"}')).toBe(5);
    const ttft =
      (sample(text, `keymux_time_to_first_token_seconds_count{${a}}`) ?? 0) +
      (sample(text, `keymux_time_to_first_token_seconds_count{${b}}`) ?? 0);
    expect(ttft).toBe(1);
    expect(sample(text, `keymux_key_up{${b}}`)).toBe(1);
    expect(sample(text, 'keymux_key_up{provider="anthropic",key="claude-a"}')).toBe(0);
    expect(sample(text, `keymux_queue_depth{${b}}`)).toBe(0);
    expect(sample(text, `keymux_breaker_state{${b}}`)).toBe(0);
    expect(sample(text, `keymux_limiter_remaining{${b},limit="rpm"}`)).toBeGreaterThan(99_000);
  });

  it('works from the library alone, on a registry of the caller’s', async () => {
    const registry = new Registry();
    const mux = new Multiplexer();
    mux.registerProvider({ name: 'fake' });
    mux.addKey('fake', { name: 'only', apiKey: 'fake-key-0000000000' });
    const metrics = createMetrics(mux, { registry });
    await mux.execute('fake', async () => 'done');
    const text = await registry.metrics();
    expect(metrics.registry).toBe(registry);
    expect(sample(text, 'keymux_requests_total{provider="fake",key="only",status="ok"}')).toBe(1);
    expect(sample(text, 'keymux_key_up{provider="fake",key="only"}')).toBe(1);
    metrics.stop();
    await mux.execute('fake', async () => 'again');
    expect(
      sample(await registry.metrics(), 'keymux_requests_total{provider="fake",key="only",status="ok"}'),
    ).toBe(1);
    await mux.close();
  });
});

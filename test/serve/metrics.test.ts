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

/** Every sample of a text exposition: `name{labels} value`, checked line by line against the format. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    samples.set(`${match?.[1]}${match?.[2] ?? ''}`, Number(match?.[3]));
  }
  return samples;
}

describe('/metrics', () => {
  it('attempts and requests apart, by model; responses by route and code; limits by dimension; build and process metrics', async () => {
    const { url, mux, emulator, gateway } = await startStack({}, closers);
    const registered = (await gateway.metrics.registry.getMetricsAsJSON()).map((m) => `${m.name} ${m.type}`);
    expect(registered).toEqual(
      expect.arrayContaining([
        'keymux_attempts_total counter',
        'keymux_requests_total counter',
        'keymux_gateway_responses_total counter',
        'keymux_attempt_duration_seconds histogram',
        'keymux_queue_wait_seconds histogram',
        'keymux_limit_remaining gauge',
        'keymux_circuit_open gauge',
        'keymux_build_info gauge',
      ]),
    );
    emulator.addFault({ kind: 'rate-limit', key: 'openaiA', count: 1 });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 4; i++)
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 10 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream);
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch(() => undefined);
    await fetch(`${url}/v1/chat/completions`, { method: 'POST' }); // no token: 401
    mux.disableKey('anthropic', 'claude-a');
    const text = await (await fetch(`${url}/metrics`)).text();
    const samples = parseExposition(text);
    const sample = (series: string): number | undefined => samples.get(series);
    const a = 'provider="openai",key="openai-a"';
    const b = 'provider="openai",key="openai-b"';
    const m = 'model="gpt-4o-mini"';
    // Attempts: 5 served, 1 rate limited (failed over), 1 refused by the provider.
    const attempt = (key: string, outcome: string) =>
      sample(`keymux_attempts_total{${key},${m},outcome="${outcome}"}`) ?? 0;
    expect(attempt(a, 'ok') + attempt(b, 'ok')).toBe(5);
    expect(attempt(a, 'rate-limited')).toBe(1);
    expect(attempt(a, 'bad-request') + attempt(b, 'bad-request')).toBe(1);
    // Requests: one per job, by final outcome; the failed-over one counts once, as ok.
    expect(sample(`keymux_requests_total{provider="openai",${m},outcome="ok"}`)).toBe(5);
    expect(sample(`keymux_requests_total{provider="openai",${m},outcome="bad-request"}`)).toBe(1);
    expect(sample('keymux_gateway_responses_total{route="/v1/chat/completions",code="200"}')).toBe(5);
    expect(sample('keymux_gateway_responses_total{route="/v1/chat/completions",code="400"}')).toBe(1);
    expect(sample('keymux_gateway_responses_total{route="/v1/chat/completions",code="401"}')).toBe(1);
    expect(sample(`keymux_key_cooldowns_total{${a},reason="rate-limited"}`)).toBe(1);
    expect(sample(`keymux_retries_total{${a}}`)).toBe(1);
    expect(sample(`keymux_tokens_total{${b},type="input"}`)).toBeGreaterThan(0);
    expect(sample(`keymux_attempt_duration_seconds_count{${b}}`)).toBeGreaterThan(0);
    expect(sample('keymux_queue_wait_seconds_count{provider="openai"}')).toBe(6);
    const ttft =
      (sample(`keymux_time_to_first_token_seconds_count{${a}}`) ?? 0) +
      (sample(`keymux_time_to_first_token_seconds_count{${b}}`) ?? 0);
    expect(ttft).toBe(1);
    expect(sample(`keymux_key_up{${b}}`)).toBe(1);
    expect(sample('keymux_key_up{provider="anthropic",key="claude-a"}')).toBe(0);
    expect(sample(`keymux_queue_depth{${b}}`)).toBe(0);
    expect(sample('keymux_pool_waiting{provider="openai"}')).toBe(0);
    expect(sample(`keymux_circuit_open{${b}}`)).toBe(0);
    expect(sample(`keymux_limit_remaining{${b},dimension="requests",window="minute"}`)).toBeGreaterThan(
      99_000,
    );
    expect(sample(`keymux_limit_remaining{${b},dimension="tokens",window="minute"}`)).toBeGreaterThan(
      99_000_000,
    );
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(sample(`keymux_build_info{version="${version}"}`)).toBe(1);
    expect(sample('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect([...samples.keys()].some((k) => k.startsWith('nodejs_heap_size_total_bytes'))).toBe(true);
    // The old names, whose meaning was muddled, are gone.
    for (const old of ['keymux_limiter_remaining', 'keymux_breaker_state', 'keymux_request_duration_seconds'])
      expect(text).not.toContain(old);
    // Every name follows Prometheus' conventions: counters end in _total, no unit-less durations.
    const types = [...text.matchAll(/^# TYPE (keymux_\w+) (\w+)$/gm)].map(([, name, type]) => ({
      name,
      type,
    }));
    for (const { name, type } of types) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
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
    const ok = 'keymux_attempts_total{provider="fake",key="only",model="",outcome="ok"}';
    expect(sample(text, ok)).toBe(1);
    expect(sample(text, 'keymux_requests_total{provider="fake",model="",outcome="ok"}')).toBe(1);
    expect(sample(text, 'keymux_key_up{provider="fake",key="only"}')).toBe(1);
    // The caller's registry gets keymux's metrics only: its process metrics are the caller's to add.
    expect(text).not.toContain('process_cpu');
    metrics.stop();
    await mux.execute('fake', async () => 'again');
    expect(sample(await registry.metrics(), ok)).toBe(1);
    await mux.close();
  });
});

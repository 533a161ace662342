import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator } from '../../src/emulator/index.js';
import { drain, emulatorFor, KEY_A, type TestClock, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Hello, Claude.' }];
const model = 'claude-emulated';

async function setup(rpm = 50): Promise<{ emulator: Emulator; client: Anthropic; clock: TestClock }> {
  const clock = testClock(Date.parse('2025-01-01T00:00:00Z'));
  const emulator = await emulatorFor(
    { keys: [{ key: KEY_A, name: 'claude' }], pools: { claude: { rpm, tpm: 10_000 } }, now: clock.now },
    closers,
  );
  const client = new Anthropic({
    apiKey: KEY_A,
    baseURL: baseUrlFor('anthropic', emulator.url),
    maxRetries: 0,
  });
  return { emulator, client, clock };
}

describe('emulator with @anthropic-ai/sdk', () => {
  it('answers a message; charges max_tokens up front and corrects to the real output', async () => {
    const { emulator, client } = await setup();
    const { data, response } = await client.messages
      .create({ model, max_tokens: 1000, messages })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.content[0]?.type).toBe('text');
    const { input_tokens: input, output_tokens: output } = data.usage;
    expect(output).toBeGreaterThan(0);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    // 1 of 50 rpm: full again in 1.2 s, rounded up to the second, as RFC 3339.
    expect(response.headers.get('anthropic-ratelimit-requests-reset')).toBe('2025-01-01T00:00:02Z');
    expect(response.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe(
      String(10_000 - input - output),
    );
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(emulator.ledger.entries()[0]).toMatchObject({
      chargedTokens: input + output,
      outputTokens: output,
    });
  });

  it('streams the documented event sequence', async () => {
    const { emulator, client } = await setup();
    const stream = await client.messages.create({ model, max_tokens: 1000, messages, stream: true });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    const types = items.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const delta = items.find((e) => e.type === 'message_delta');
    const output = delta?.type === 'message_delta' ? delta.usage.output_tokens : -1;
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(output);
    const start = items[0]?.type === 'message_start' ? items[0].message.usage.input_tokens : -1;
    expect(emulator.poolState('claude')['tokens-minute']?.remaining).toBe(10_000 - start - output);
  });

  it('surfaces a 429 as RateLimitError with retry-after and the rate-limit headers', async () => {
    const { emulator, client } = await setup(1);
    await client.messages.create({ model, max_tokens: 10, messages });
    const error = await client.messages.create({ model, max_tokens: 10, messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const limited = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(limited.headers?.get('retry-after')).toBe('60');
    expect(limited.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(limited.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 1, 429: 1 });
  });

  it('rejects an unknown key with AuthenticationError', async () => {
    const { emulator } = await setup();
    const stranger = new Anthropic({
      apiKey: 'sk-ant-unknown',
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const error = await stranger.messages
      .create({ model, max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({
      error: { type: 'authentication_error' },
    });
  });

  it('answers 529 overloaded_error and 503 for the next requests of one key only', async () => {
    const { emulator, client } = await setup();
    emulator.addFault({ kind: 'overloaded', key: 'claude', count: 1 });
    emulator.addFault({ kind: 'unavailable', key: 'claude', count: 1 });
    const overloaded = await client.messages
      .create({ model, max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: 'overloaded_error' },
    });
    const unavailable = await client.messages
      .create({ model, max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect((unavailable as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    await expect(client.messages.create({ model, max_tokens: 10, messages })).resolves.toMatchObject({
      type: 'message',
    });
  });

  it('cuts a stream mid-way', async () => {
    const { emulator, client } = await setup();
    emulator.addFault({ kind: 'cut', cutAfterChunks: 4 });
    const { items, error } = await drain(
      await client.messages.create({ model, max_tokens: 100, messages, stream: true }),
    );
    expect(items.map((e) => e.type)).toEqual(['message_start', 'content_block_start', 'content_block_delta']); // the SDK swallows 'ping';
    expect(error).toBeInstanceOf(Error);
  });
});

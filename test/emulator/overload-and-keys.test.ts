import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator, EmulatorConfigError } from '../../src/emulator/index.js';
import { overloadEffect } from '../../src/emulator/limits/overload.js';
import { seededRandom } from '../../src/emulator/random.js';
import { emulatorFor, KEY_A, KEY_B, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Hi.' }];
const openai = (e: Emulator, key = KEY_A) =>
  new OpenAI({ apiKey: key, baseURL: baseUrlFor('openai', e.url), maxRetries: 0 });

describe('overload: above N requests in flight on a key, latency × factor and some 5xx', () => {
  it('decides per key, on the seeded random, only above the threshold', () => {
    const spec = { aboveConcurrent: 2, errorRate: 0.5, latencyFactor: 3 };
    expect(overloadEffect(spec, 'a', 2, seededRandom(1))).toEqual({
      above: false,
      latencyFactor: 1,
      fault: undefined,
    });
    const draw = () => {
      const random = seededRandom(7);
      return Array.from({ length: 200 }, () => overloadEffect(spec, 'a', 3, random));
    };
    const effects = draw();
    expect(effects.every((e) => e.above && e.latencyFactor === 3)).toBe(true);
    const failed = effects.filter((e) => e.fault?.kind === 'overloaded').length;
    expect(failed).toBeGreaterThan(70);
    expect(failed).toBeLessThan(130);
    expect(draw()).toEqual(effects);
    expect(overloadEffect({ ...spec, key: 'b' }, 'a', 9, seededRandom(1)).above).toBe(false);
  });

  it('answers the provider 5xx above N in flight on that key only, and records it', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      {
        keys: [
          { key: KEY_A, name: 'a' },
          { key: KEY_B, name: 'b' },
        ],
        overload: { aboveConcurrent: 2, errorRate: 0.5 },
        now: clock.now,
      },
      closers,
    );
    // Two streams stall on key a and hold its slots; every later request of a is the third in flight.
    emulator.addFault({ kind: 'stall', key: 'a', count: 2, stallAfterChunks: 1 });
    const controller = new AbortController();
    // Held until the end: undici cancels a response body that is garbage-collected unread, which would end
    // a stall (and free its slot) early on a busy machine.
    const stalled: unknown[] = [];
    for (let i = 0; i < 2; i++)
      stalled.push(
        await openai(emulator).chat.completions.create(
          { model: 'm', messages, stream: true },
          { signal: controller.signal },
        ),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        await openai(emulator)
          .chat.completions.create({ model: 'm', messages })
          .then(
            () => 200,
            (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).status ?? -1,
          ),
      );
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const anthropic = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const anthropicStatuses = await Promise.all(
      Array.from({ length: 6 }, () =>
        anthropic.messages.create({ model: 'c', max_tokens: 5, messages }).then(
          () => 200,
          (e: unknown) => (e as InstanceType<typeof Anthropic.APIError>).status ?? -1,
        ),
      ),
    );
    expect(anthropicStatuses).toContain(529);
    // Key b has nothing in flight: untouched.
    for (let i = 0; i < 5; i++)
      await openai(emulator, KEY_B).chat.completions.create({ model: 'm', messages });
    expect(emulator.ledger.entries({ key: 'b' }).every((e) => !e.overloaded && e.status === 200)).toBe(true);
    const overloaded = emulator.ledger.entries({ key: 'a' }).filter((e) => e.overloaded);
    expect(overloaded).toHaveLength(18);
    expect(overloaded.filter((e) => e.fault === 'overloaded').length).toBe(
      statuses.filter((s) => s === 503).length + anthropicStatuses.filter((s) => s === 529).length,
    );
    emulator.setOverload(undefined);
    await openai(emulator).chat.completions.create({ model: 'm', messages });
    expect(emulator.ledger.entries({ key: 'a' }).at(-1)?.overloaded).toBe(false);
    expect(() => emulator.setOverload({ aboveConcurrent: -1 })).toThrow(EmulatorConfigError);
    expect(stalled).toHaveLength(2);
    controller.abort();
  });
});

describe('keys at run time', () => {
  it('rejects a key it does not know, accepts it once added, and rejects it again once removed', async () => {
    const clock = testClock();
    const emulator = await emulatorFor({ keys: [{ key: KEY_A, name: 'a' }], now: clock.now }, closers);
    const b = openai(emulator, KEY_B);
    await expect(b.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    emulator.addKey({ key: KEY_B, name: 'b' }, { rpm: 7 });
    expect(emulator.keyNames()).toEqual(['a', 'b']);
    const { response } = await b.chat.completions.create({ model: 'm', messages }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('7');
    expect(emulator.poolState('b')['requests-minute']?.limit).toBe(7);
    emulator.removeKey('b');
    await expect(b.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      [undefined, 401],
      ['b', 200],
      [undefined, 401],
    ]);
    // Added back, it draws from the same pool, whose buckets remember the request above.
    emulator.addKey({ key: KEY_B, name: 'b' });
    expect(emulator.poolState('b')['requests-minute']?.remaining).toBe(6);
    expect(() => emulator.addKey({ key: KEY_A, name: 'a2' })).toThrow('addKey: the same key is listed twice');
    expect(() => emulator.addKey({ key: 'sk-new', name: 'a' })).toThrow('addKey: duplicate name "a"');
    expect(() => emulator.addKey({ key: 'sk-new', name: 'c', pool: 'a' }, { rpm: 1 })).toThrow(
      /pool "a" exists/,
    );
    expect(() => emulator.removeKey('zz')).toThrow(EmulatorConfigError);
  });
});

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeLedger } from '../../src/cli/emulate.js';
import { baseUrlFor, type Emulator } from '../../src/emulator/index.js';
import { emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Hi.' }];
const openai = (e: Emulator) =>
  new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', e.url), maxRetries: 0 });

/** The code of the network error under an SDK's connection error. */
function networkCode(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let i = 0; i < 5 && cause instanceof Error; i++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    cause = cause.cause;
  }
  return undefined;
}

describe('outage: the whole endpoint refuses connections, then serves again', () => {
  it('refuses new connections, cuts requests in flight, and serves again on the same port (a minute on the manual clock)', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'a' }], latency: { kind: 'fixed', ms: 60_000 }, now: clock.now },
      closers,
    );
    const client = openai(emulator);
    const inFlight = client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    await expect.poll(() => emulator.ledger.entries({ outcome: 'pending' }).length).toBe(1);

    await emulator.beginOutage();
    expect(emulator.inOutage).toBe(true);
    expect(await inFlight).toBeInstanceOf(OpenAI.APIConnectionError);
    const refused = await client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(networkCode(refused)).toBe('ECONNREFUSED');
    const anthropic = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    await expect(anthropic.messages.create({ model: 'c', max_tokens: 5, messages })).rejects.toBeInstanceOf(
      Anthropic.APIConnectionError,
    );

    clock.advance(60_000);
    await emulator.endOutage();
    // Serving again: an unknown key gets its 401 at once (a known one would wait out the 60 s latency).
    const stranger = new OpenAI({
      apiKey: 'sk-nobody',
      baseURL: baseUrlFor('openai', emulator.url),
      maxRetries: 0,
    });
    await expect(stranger.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    expect(emulator.outages()).toEqual([
      { startedAt: clock.now() - 60_000, endedAt: clock.now(), cutRequests: 1 },
    ]);
    // Requests refused at the socket never reach the ledger: only the one cut in flight is there.
    expect(emulator.ledger.entries().map((e) => [e.outcome, e.fault])).toEqual([
      ['fault', 'outage'],
      ['unauthorized', undefined],
    ]);
  });

  it('serves again after outage(ms) and after a scheduled outage, and closes cleanly during one', async () => {
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'a' }], outages: [{ atMs: 0, durationMs: 20 }] },
      closers,
    );
    await expect.poll(() => emulator.outages()[0]?.endedAt).toBeDefined();
    await expect(openai(emulator).chat.completions.create({ model: 'm', messages })).resolves.toBeDefined();
    await emulator.outage(20);
    expect(emulator.inOutage).toBe(false);
    await expect(openai(emulator).chat.completions.create({ model: 'm', messages })).resolves.toBeDefined();
    expect(emulator.outages()).toHaveLength(2);
    expect(summarizeLedger(emulator, ['a'])).toContain('2 outage(s), 0 requests cut');

    const other = await emulatorFor(
      { keys: [{ key: KEY_A }], outages: [{ atMs: 0, durationMs: 600_000 }] },
      [],
    );
    await expect.poll(() => other.inOutage).toBe(true);
    await other.close(); // resolves although the server is not listening and a 10-minute timer is pending
  });
});

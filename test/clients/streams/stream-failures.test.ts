import { describe, expect, it } from 'vitest';
import {
  anthropicClient,
  geminiClient,
  genAIClient,
  groqClient,
  openAIClient,
} from '../../../src/clients/sdk-clients.js';
import type { KeymuxEvent } from '../../../src/core/events.js';
import type { ProviderName, SdkName } from '../../../src/emulator/index.js';
import type { Multiplexer } from '../../../src/multiplexer.js';
import { setup } from '../support.js';

const messages = [{ role: 'user' as const, content: 'Stream something about keys.' }];

/** Opens a stream with one SDK through keymux and reads it to its end or its error. */
interface Case {
  readonly sdk: SdkName;
  readonly provider: ProviderName;
  readonly read: (mux: Multiplexer) => Promise<{ chunks: number; error: unknown }>;
}

async function drain(stream: AsyncIterable<unknown>): Promise<{ chunks: number; error: unknown }> {
  let chunks = 0;
  try {
    for await (const _ of stream) chunks++;
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

const CASES: readonly Case[] = [
  {
    sdk: 'openai',
    provider: 'openai',
    read: async (mux) =>
      drain(
        await openAIClient(mux).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }),
      ),
  },
  {
    sdk: 'anthropic',
    provider: 'anthropic',
    read: async (mux) =>
      drain(
        await anthropicClient(mux).messages.create({
          model: 'claude-3-5-haiku-latest',
          max_tokens: 64,
          messages,
          stream: true,
        }),
      ),
  },
  {
    sdk: 'groq',
    provider: 'groq',
    read: async (mux) =>
      drain(
        await groqClient(mux).chat.completions.create({
          model: 'llama-3.1-8b-instant',
          messages,
          stream: true,
        }),
      ),
  },
  {
    sdk: 'gemini',
    provider: 'gemini',
    read: async (mux) => {
      const model = geminiClient(mux).getGenerativeModel({ model: 'gemini-2.0-flash' });
      const { stream, response } = await model.generateContentStream('Stream something about keys.');
      response.catch(() => undefined);
      return drain(stream);
    },
  },
  {
    sdk: 'google-genai',
    provider: 'gemini',
    read: async (mux) =>
      drain(
        await genAIClient(mux).models.generateContentStream({
          model: 'gemini-2.0-flash',
          contents: 'Stream something about keys.',
        }),
      ),
  },
];

/** Every success and failure event, in order. */
function outcomes(mux: Multiplexer): KeymuxEvent[] {
  const seen: KeymuxEvent[] = [];
  mux.on('success', (e) => seen.push(e));
  mux.on('failure', (e) => seen.push(e));
  return seen;
}

describe.each(CASES)('a stream cut mid-way ($sdk)', ({ sdk, provider, read }) => {
  it('gives the caller the error, is not retried, and counts as a transient failure of its key', async () => {
    const { emulator, mux } = await setup(provider, sdk, { outputTokens: { min: 12, max: 12 } }, {}, 2);
    emulator.addFault({ kind: 'cut', cutAfterChunks: 3, count: 1 });
    const seen = outcomes(mux);
    const { chunks, error } = await read(mux);
    expect(chunks).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.ledger.size).toBe(1);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ type: 'failure', key: { name: 'a' }, failureClass: 'transient' });
    const stats = mux.getUsageStats().providers[provider];
    expect(stats?.keys.find((k) => k.name === 'a')).toMatchObject({ inFlight: 0, successes: 0, failures: 1 });
  });

  it('a stream read to its end counts as a success', async () => {
    const { mux } = await setup(provider, sdk, {}, {}, 1);
    const seen = outcomes(mux);
    const { chunks, error } = await read(mux);
    expect(error).toBeUndefined();
    expect(chunks).toBeGreaterThan(0);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.type).toBe('success');
  });
});

describe.each(CASES)('a stream answer that is not an event stream ($sdk)', ({ sdk, provider, read }) => {
  it('ends before any event: a transient failure of its key, and the job fails over before the caller sees it', async () => {
    const { emulator, mux } = await setup(provider, sdk, {}, {}, 2);
    emulator.addFault({ kind: 'malformed-json', key: 'a', count: 1 });
    const seen = outcomes(mux);
    const { chunks, error } = await read(mux);
    expect(error).toBeUndefined();
    expect(chunks).toBeGreaterThan(0);
    expect(emulator.ledger.entries().map((e) => e.key)).toEqual(['a', 'b']);
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[0]).toMatchObject({ type: 'failure', key: { name: 'a' }, failureClass: 'transient' });
    expect(seen[1]).toMatchObject({ type: 'success', key: { name: 'b' } });
  });
});

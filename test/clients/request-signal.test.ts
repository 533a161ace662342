import { beforeAll, describe, expect, it } from 'vitest';
import {
  anthropicClient,
  geminiClient,
  genAIClient,
  groqClient,
  openAIClient,
} from '../../src/clients/sdk-clients.js';
import type { ProviderName, SdkName } from '../../src/emulator/index.js';
import type { Multiplexer } from '../../src/multiplexer.js';
import { preloadSdk } from '../../src/providers/load-sdk.js';
import { setup } from './support.js';

// Loaded before the tests, so a first call's import time never counts against a poll's patience.
const PACKAGES = ['openai', '@anthropic-ai/sdk', 'groq-sdk', '@google/generative-ai', '@google/genai'];
beforeAll(() => Promise.all(PACKAGES.map((name) => preloadSdk(name))));

const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];

interface Case {
  readonly sdk: SdkName;
  readonly provider: ProviderName;
  /** One request through keymux, with the caller's own per-request signal when given. */
  readonly send: (mux: Multiplexer, signal?: AbortSignal) => Promise<unknown>;
}

const CASES: readonly Case[] = [
  {
    sdk: 'openai',
    provider: 'openai',
    send: (mux, signal) =>
      openAIClient(mux).chat.completions.create({ model: 'gpt-4o-mini', messages }, { signal }),
  },
  {
    sdk: 'anthropic',
    provider: 'anthropic',
    send: (mux, signal) =>
      anthropicClient(mux).messages.create(
        { model: 'claude-3-5-haiku-latest', max_tokens: 32, messages },
        { signal },
      ),
  },
  {
    sdk: 'groq',
    provider: 'groq',
    send: (mux, signal) =>
      groqClient(mux).chat.completions.create({ model: 'llama-3.1-8b-instant', messages }, { signal }),
  },
  {
    sdk: 'gemini',
    provider: 'gemini',
    send: (mux, signal) =>
      geminiClient(mux)
        .getGenerativeModel({ model: 'gemini-2.0-flash' })
        .generateContent('Say something about keys.', signal ? { signal } : {}),
  },
  {
    sdk: 'google-genai',
    provider: 'gemini',
    send: (mux, signal) =>
      genAIClient(mux).models.generateContent({
        model: 'gemini-2.0-flash',
        contents: 'Say something about keys.',
        config: signal ? { abortSignal: signal } : {},
      }),
  },
];

describe.each(CASES)('a per-request signal ($sdk)', ({ sdk, provider, send }) => {
  it('aborted while its job is queued, rejects with the reason at once and never reaches the provider', async () => {
    const { emulator, mux } = await setup(provider, sdk, {}, { maxConcurrentRequests: 1 }, 1);
    emulator.addFault({ kind: 'hang', count: 1 });
    // The key's one slot is taken by a call that never answers (until close() ends it).
    const busy = send(mux).catch((e: unknown) => e);
    await expect.poll(() => emulator.ledger.size).toBe(1);
    const caller = new AbortController();
    const queued = send(mux, caller.signal);
    await expect.poll(() => mux.getUsageStats().providers[provider]?.queued).toBe(1);
    const reason = new Error('the caller gave up');
    caller.abort(reason);
    // Were the signal only the SDK's, this would wait for the hung call, which never ends.
    await expect(queued).rejects.toBe(reason);
    expect(mux.getUsageStats().providers[provider]).toMatchObject({ queued: 0, inFlight: 1 });
    await mux.close();
    await busy;
    expect(emulator.ledger.size).toBe(1);
  });

  it('aborted while the call runs, stops the request', async () => {
    const { emulator, mux } = await setup(provider, sdk, {}, {}, 1);
    emulator.addFault({ kind: 'hang', count: 1 });
    const caller = new AbortController();
    const running = send(mux, caller.signal);
    await expect.poll(() => emulator.ledger.size).toBe(1);
    caller.abort(new Error('stop'));
    await expect(running).rejects.toThrow('stop');
    // A hung request ends only when its client leaves (or the emulator closes).
    await expect.poll(() => emulator.ledger.entries()[0]?.endedAt).toBeDefined();
  });
});

describe('the job’s own signal', () => {
  it('reaches @google/generative-ai’s request too (its requestOptions hide from fn.length)', async () => {
    const { emulator, mux } = await setup('gemini', 'gemini', {}, {}, 1);
    emulator.addFault({ kind: 'hang', count: 1 });
    const model = geminiClient(mux, { timeoutMs: 50 }).getGenerativeModel({ model: 'gemini-2.0-flash' });
    await expect(model.generateContent('hello')).rejects.toMatchObject({ name: 'TimeoutError' });
    // The job's deadline stopped the request itself, not only the caller's wait.
    await expect.poll(() => emulator.ledger.entries()[0]?.endedAt).toBeDefined();
  });
});

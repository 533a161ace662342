import { BetaMessageStream } from '@anthropic-ai/sdk/lib/BetaMessageStream';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { ChatCompletionRunner } from 'openai/lib/ChatCompletionRunner';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import { beforeAll, describe, expect, it } from 'vitest';
import { anthropicClient, openAIClient } from '../../../src/clients/sdk-clients.js';
import type { KeymuxEvent } from '../../../src/core/events.js';
import type { Multiplexer } from '../../../src/multiplexer.js';
import { preloadSdk } from '../../../src/providers/load-sdk.js';
import { setup } from '../support.js';

// A multiplexer starts loading the SDKs' ESM builds when it is made; a helper called before that
// lands is the CommonJS build's (esm-preload.test.ts covers that window). Here it has landed.
beforeAll(() => Promise.all([preloadSdk('openai'), preloadSdk('@anthropic-ai/sdk')]));

const messages = [{ role: 'user' as const, content: 'Tell me about keys.' }];

/** Every `success` event, as the key it ran on and the usage it reported, in order. */
function successes(mux: Multiplexer, order: string[]): Array<Extract<KeymuxEvent, { type: 'success' }>> {
  const seen: Array<Extract<KeymuxEvent, { type: 'success' }>> = [];
  mux.on('success', (event) => {
    order.push('success');
    seen.push(event);
  });
  return seen;
}

describe('anthropic messages.stream()', () => {
  const model = 'claude-3-5-haiku-latest';

  it('returns the SDK’s MessageStream at once; its text, final message and usage come through one job', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic', {}, {}, 1);
    const order: string[] = [];
    const done = successes(mux, order);
    const stream = anthropicClient(mux).messages.stream({ model, max_tokens: 40, messages });
    expect(stream).toBeInstanceOf(MessageStream);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
      order.push('text');
    });
    const message = await stream.finalMessage();
    expect(text.length).toBeGreaterThan(0);
    expect(message.content[0]?.type === 'text' ? message.content[0].text : '').toBe(text);
    const [entry] = emulator.ledger.entries();
    expect(emulator.ledger.size).toBe(1);
    expect(message.usage.output_tokens).toBe(entry?.outputTokens);
    // The slot is released, and usage counted, only after the last event was read.
    await expect.poll(() => done.length).toBe(1);
    expect(order.at(-1)).toBe('success');
    expect(done[0]?.usage).toEqual({ inputTokens: entry?.inputTokens, outputTokens: entry?.outputTokens });
  });

  it('fails over before the first event, and can be iterated like the SDK’s own', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic');
    emulator.addFault({ kind: 'overloaded', key: 'a', count: 1 });
    const stream = anthropicClient(mux, 'round-robin').messages.stream({ model, max_tokens: 20, messages });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      ['a', 529],
      ['b', 200],
    ]);
  });
});

describe('anthropic beta.messages.stream()', () => {
  it('is the SDK’s BetaMessageStream; its request is a keymux job that fails over before the first event', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic');
    emulator.addFault({ kind: 'overloaded', key: 'a', count: 1 });
    const order: string[] = [];
    const done = successes(mux, order);
    const stream = anthropicClient(mux, 'round-robin').beta.messages.stream({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 30,
      messages,
    });
    expect(stream).toBeInstanceOf(BetaMessageStream);
    const message = await stream.finalMessage();
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      ['a', 529],
      ['b', 200],
    ]);
    await expect.poll(() => done.length).toBe(1);
    expect(done[0]?.usage?.outputTokens).toBe(message.usage.output_tokens);
  });
});

describe('anthropic beta.messages.toolRunner() and thread()', () => {
  it('throw at once rather than send on one key behind keymux’s back', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic', {}, {}, 1);
    const beta = anthropicClient(mux).beta.messages;
    const params = { model: 'claude-3-5-haiku-latest', max_tokens: 30, messages, tools: [] };
    expect(() => beta.toolRunner(params)).toThrow(/toolRunner\(\) cannot run through a multiplexed client/);
    expect(() => beta.thread(params)).toThrow(/thread\(\) cannot run/);
    expect(emulator.ledger.size).toBe(0);
  });
});

describe('openai stream helpers', () => {
  const model = 'gpt-4o-mini';

  it('chat.completions.stream() is the SDK’s ChatCompletionStream, holding one slot to the end', async () => {
    const { emulator, mux } = await setup('openai', 'openai', {}, {}, 1);
    const order: string[] = [];
    const done = successes(mux, order);
    const stream = openAIClient(mux).chat.completions.stream({
      model,
      messages,
      max_tokens: 30,
      stream_options: { include_usage: true },
    });
    expect(stream).toBeInstanceOf(ChatCompletionStream);
    let text = '';
    stream.on('content', (delta) => {
      text += delta;
      order.push('content');
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe(text);
    const [entry] = emulator.ledger.entries();
    expect(emulator.ledger.size).toBe(1);
    await expect.poll(() => done.length).toBe(1);
    expect(order.at(-1)).toBe('success');
    expect(done[0]?.usage?.outputTokens).toBe(entry?.outputTokens);
  });

  it('runTools() is the SDK’s runner; each of its requests is a keymux job', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const runner = openAIClient(mux, 'round-robin').chat.completions.runTools({
      model,
      messages,
      tools: [
        {
          type: 'function',
          function: {
            name: 'noop',
            description: 'does nothing',
            parameters: { type: 'object', properties: {} },
            function: (_args: string) => 'ok',
          },
        },
      ],
    });
    expect(runner).toBeInstanceOf(ChatCompletionRunner);
    const content = await runner.finalContent();
    expect((content ?? '').length).toBeGreaterThan(0);
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 1 });
  });

  it('responses.stream() is the SDK’s ResponseStream; its request is a keymux job', async () => {
    // The emulator serves no Responses API: the request goes out through keymux and is refused once.
    const { mux } = await setup('openai', 'openai', {}, {}, 1);
    const failures: Array<number | undefined> = [];
    mux.on('failure', (event) => failures.push(event.status));
    const stream = openAIClient(mux).responses.stream({ model, input: 'hi' });
    expect(stream).toBeInstanceOf(ResponseStream);
    await expect(stream.finalResponse()).rejects.toBeInstanceOf(Error);
    expect(failures).toEqual([404]);
  });
});

import { describe, expect, it } from 'vitest';
import { opensOnly } from '../../src/clients/streams/stream-start.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { setupFallbacks } from './support.js';

const messages = [{ role: 'user' as const, content: 'Stream something about keys.' }];
const GROQ = 'groq/llama-3.3-70b-versatile';

async function read(stream: AsyncIterable<unknown>): Promise<{ chunks: unknown[]; error: unknown }> {
  const chunks: unknown[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

const fallbacksOf = (events: readonly KeymuxEvent[]) => events.filter((e) => e.type === 'fallback');

describe('streams fall back only before their first content chunk', () => {
  it('a stream cut after its role chunk (no content yet) falls back, and the caller sees one whole stream', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { fallbacks: { 'gpt-4.1': [GROQ] }, maxRetries: 1 },
      [{ kind: 'cut', model: 'gpt-4.1', cutAfterChunks: 1 }],
    );
    const stream = await mux
      .getOpenAIClient()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const { chunks, error } = await read(stream);
    expect(error).toBeUndefined();
    const models = new Set(chunks.map((c) => (c as { model: string }).model));
    expect(models).toEqual(new Set(['llama-3.3-70b-versatile']));
    expect(fallbacksOf(events)).toMatchObject([{ from: 'openai/gpt-4.1', to: GROQ, reason: 'transient' }]);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(1);
  });

  it('a stream cut after content errors from the iterator: no fallback, no clean truncated end', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { fallbacks: { 'gpt-4.1': [GROQ] } },
      [{ kind: 'cut', model: 'gpt-4.1', cutAfterChunks: 3 }],
    );
    const stream = await mux
      .getOpenAIClient()
      .chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    const { chunks, error } = await read(stream);
    expect(error).toBeInstanceOf(Error);
    expect(chunks.length).toBeGreaterThan(0);
    expect(fallbacksOf(events)).toEqual([]);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
  });
});

describe('opensOnly: the chunks held back', () => {
  it.each([
    [
      {
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      },
      true,
    ],
    [
      {
        object: 'chat.completion.chunk',
        choices: [
          { index: 0, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null },
        ],
      },
      true,
    ],
    [
      {
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
      },
      false,
    ],
    [{ object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }, false],
    [
      {
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0 }] }, finish_reason: null }],
      },
      false,
    ],
    [{ object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 3 } }, false],
    [{ type: 'message_start', message: {} }, true],
    [{ type: 'ping' }, true],
    [{ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, true],
    [
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 't', name: 'f', input: {} },
      },
      false,
    ],
    [{ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }, false],
    // Gemini: chunks whose candidates have no text yet are held; text, a finish, a block or a call are not.
    [{ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, index: 0 }] }, true],
    [
      { candidates: [{ content: { role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 3 } },
      true,
    ],
    [{ candidates: [{ content: { role: 'model', parts: [{ thoughtSignature: 'c2ln' }] } }] }, true],
    [{ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0 }] }, false],
    [{ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }] }, false],
    [{ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }] } }] }, false],
    [{ candidates: [], promptFeedback: { blockReason: 'SAFETY' } }, false],
  ])('%j → %s', (chunk, held) => {
    expect(opensOnly(chunk)).toBe(held);
  });
});

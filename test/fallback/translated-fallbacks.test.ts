import { describe, expect, it } from 'vitest';
import type { KeymuxError } from '../../src/core/errors.js';
import { UnsupportedTargetError } from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { anthropicRequest } from '../../src/translate/anthropic-messages.js';
import { Untranslatable } from '../../src/translate/chat.js';
import { geminiRequest } from '../../src/translate/gemini-content.js';
import { readOpenAIChat } from '../../src/translate/openai-chat.js';
import { leaksKey, setupFallbacks } from './support.js';

const CLAUDE = 'anthropic/claude-sonnet-4-5';
const GEMINI = 'gemini/gemini-2.5-flash';
const GROQ_TARGET = 'groq/llama-3.3-70b-versatile';
const body = {
  model: 'gpt-4.1',
  messages: [
    { role: 'system' as const, content: 'Answer briefly.' },
    { role: 'user' as const, content: 'Say something about keys.' },
    { role: 'assistant' as const, content: 'Keys open doors.' },
    { role: 'user' as const, content: 'More.' },
  ],
  temperature: 0.5,
  max_tokens: 64,
  stop: ['END'],
};
const QUOTA = [{ kind: 'quota' as const, provider: 'openai' as const }];

async function collect(stream: AsyncIterable<unknown>): Promise<Record<string, unknown>[]> {
  const chunks: Record<string, unknown>[] = [];
  for await (const chunk of stream) chunks.push(chunk as Record<string, unknown>);
  return chunks;
}

const textOf = (chunks: readonly Record<string, unknown>[]) =>
  chunks.map((c) => (c.choices as { delta: { content?: string } }[])[0]?.delta.content ?? '').join('');

describe.each([
  ['anthropic', CLAUDE, 'claude-sonnet-4-5'],
  ['gemini', GEMINI, 'gemini-2.5-flash'],
] as const)('an OpenAI call falling back to %s through the translation', (provider, target, model) => {
  it('answers as an OpenAI chat.completion, with the serving model and usage', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', provider],
      { fallbacks: { 'gpt-4.1': [target] } },
      QUOTA,
    );
    const reply = await mux.getOpenAIClient().chat.completions.create(body);
    expect(reply.object).toBe('chat.completion');
    expect(reply.model).toBe(model);
    expect(reply.choices[0]?.message.role).toBe('assistant');
    expect(reply.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(reply.choices[0]?.finish_reason);
    const served = emulator.ledger.entries({ provider, status: 200 });
    expect(served).toHaveLength(1);
    expect(reply.usage).toEqual({
      prompt_tokens: served[0]!.inputTokens,
      completion_tokens: served[0]!.outputTokens,
      total_tokens: served[0]!.inputTokens + served[0]!.outputTokens,
    });
    expect(events.filter((e: KeymuxEvent) => e.type === 'fallback')).toMatchObject([
      { from: 'openai/gpt-4.1', to: target, reason: 'quota-exhausted' },
    ]);
  });

  it('streams as OpenAI chunks: role first, text, a finish reason, and the usage chunk when asked', async () => {
    const { mux, emulator } = await setupFallbacks(
      ['openai', provider],
      { fallbacks: { 'gpt-4.1': [target] } },
      QUOTA,
    );
    const stream = await mux.getOpenAIClient().chat.completions.create({
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      model,
      choices: [{ delta: { role: 'assistant' } }],
    });
    expect(textOf(chunks).length).toBeGreaterThan(0);
    const finishes = chunks.flatMap((c) =>
      (c.choices as { finish_reason: string | null }[]).map((x) => x.finish_reason),
    );
    expect(finishes.filter((f) => f !== null)).toHaveLength(1);
    const served = emulator.ledger.entries({ provider, status: 200 })[0]!;
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: served.inputTokens, completion_tokens: served.outputTokens },
    });
  });

  it('skips the target with reason `unsupported` for a request with tools, never sending it', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', provider],
      { fallbacks: { 'gpt-4.1': [target] } },
      QUOTA,
    );
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
    const error = (await mux
      .getOpenAIClient()
      .chat.completions.create({ ...body, tools })
      .catch((e: unknown) => e)) as KeymuxError;
    expect(error.provider).toBe('openai');
    expect(error.fallbacks).toHaveLength(1);
    expect(error.fallbacks[0]).toMatchObject({ target, reason: 'unsupported' });
    expect(error.fallbacks[0]?.error).toBeInstanceOf(UnsupportedTargetError);
    expect(emulator.ledger.entries({ provider })).toHaveLength(0);
    expect(events.filter((e) => e.type === 'fallback')).toHaveLength(1);
    expect(leaksKey(error)).toBe(false);
  });
});

describe('the text-chat translation', () => {
  it('carries system, turns, temperature, max tokens and stop to Anthropic Messages', () => {
    expect(anthropicRequest(readOpenAIChat({ ...body, model: 'claude-sonnet-4-5' }))).toEqual({
      model: 'claude-sonnet-4-5',
      system: 'Answer briefly.',
      messages: [
        { role: 'user', content: 'Say something about keys.' },
        { role: 'assistant', content: 'Keys open doors.' },
        { role: 'user', content: 'More.' },
      ],
      temperature: 0.5,
      max_tokens: 64,
      stop_sequences: ['END'],
    });
  });

  it('carries the same to Gemini generateContent', () => {
    expect(geminiRequest(readOpenAIChat({ ...body, model: 'gemini-2.5-flash', stream: true }))).toEqual({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Say something about keys.' }] },
        { role: 'model', parts: [{ text: 'Keys open doors.' }] },
        { role: 'user', parts: [{ text: 'More.' }] },
      ],
      config: {
        systemInstruction: 'Answer briefly.',
        temperature: 0.5,
        maxOutputTokens: 64,
        stopSequences: ['END'],
      },
    });
  });

  it.each([
    [{ tools: [{}] }, 'tools'],
    [{ response_format: { type: 'json_object' } }, 'response_format'],
    [{ n: 2 }, 'n'],
    [{ logprobs: true }, 'logprobs'],
    [
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      'messages[0].content[0]',
    ],
    [{ messages: [{ role: 'tool', content: 'x', tool_call_id: 't' }] }, 'messages[0].role'],
  ])('refuses %j (no translation for %s)', (extra, field) => {
    let error: unknown;
    try {
      readOpenAIChat({ ...body, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Untranslatable);
    expect((error as Untranslatable).field).toBe(field);
  });

  it('refuses a temperature above Anthropic’s range rather than changing it', () => {
    expect(() => anthropicRequest(readOpenAIChat({ ...body, temperature: 1.5 }))).toThrow(Untranslatable);
  });
});

describe('the wrapped Anthropic client falling back to an OpenAI-wire target (Groq)', () => {
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    system: 'Answer briefly.',
    messages: [{ role: 'user' as const, content: 'Say something about keys.' }],
  };
  const ANTHROPIC_QUOTA = [{ kind: 'quota' as const, provider: 'anthropic' as const }];

  it('answers as an Anthropic message with the serving model and usage', async () => {
    const { mux, emulator, events } = await setupFallbacks(
      ['anthropic', 'groq'],
      { fallbacks: { 'claude-sonnet-4-5': [GROQ_TARGET] } },
      ANTHROPIC_QUOTA,
    );
    const message = await mux.getAnthropicClient().messages.create(request);
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'llama-3.3-70b-versatile' });
    expect(message.content[0]?.type === 'text' && message.content[0].text.length).toBeGreaterThan(0);
    const served = emulator.ledger.entries({ provider: 'groq', status: 200 });
    expect(served).toHaveLength(1);
    expect(message.usage).toMatchObject({
      input_tokens: served[0]!.inputTokens,
      output_tokens: served[0]!.outputTokens,
    });
    expect(events.filter((e) => e.type === 'fallback')).toMatchObject([
      { from: 'anthropic/claude-sonnet-4-5', to: GROQ_TARGET, reason: 'quota-exhausted' },
    ]);
  });

  it('streams as Anthropic events, message_start to message_stop', async () => {
    const { mux } = await setupFallbacks(
      ['anthropic', 'groq'],
      { fallbacks: { 'claude-sonnet-4-5': [GROQ_TARGET] } },
      ANTHROPIC_QUOTA,
    );
    const stream = await mux.getAnthropicClient().messages.create({ ...request, stream: true });
    const events = await collect(stream);
    expect(events[0]).toMatchObject({ type: 'message_start', message: { model: 'llama-3.3-70b-versatile' } });
    expect(events.at(-1)).toEqual({ type: 'message_stop' });
    const text = events
      .map((e) => (e.type === 'content_block_delta' ? (e.delta as { text: string }).text : ''))
      .join('');
    expect(text.length).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'end_turn' },
    });
  });

  it('skips the target as unsupported for a request with tools', async () => {
    const { mux, emulator } = await setupFallbacks(
      ['anthropic', 'groq'],
      { fallbacks: { 'claude-sonnet-4-5': [GROQ_TARGET] } },
      ANTHROPIC_QUOTA,
    );
    const tools = [{ name: 'f', input_schema: { type: 'object' as const } }];
    const error = (await mux
      .getAnthropicClient()
      .messages.create({ ...request, tools })
      .catch((e: unknown) => e)) as KeymuxError;
    expect(error.fallbacks).toMatchObject([{ target: GROQ_TARGET, reason: 'unsupported' }]);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
  });
});

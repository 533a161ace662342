import { describe, expect, it } from 'vitest';
import { estimateJsonTokens } from '../../src/emulator/dialects/text-gen.js';
import { createAnthropicAdapter, readAnthropicUsage } from '../../src/providers/anthropic.js';
import { createGeminiAdapter, readGeminiUsage } from '../../src/providers/gemini.js';
import { createGroqAdapter, readGroqUsage } from '../../src/providers/groq.js';
import { createOpenAIAdapter, readOpenAIUsage } from '../../src/providers/openai.js';
import { DEFAULT_MAX_OUTPUT_TOKENS, textTokens } from '../../src/providers/wire-values.js';

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: [{ type: 'text', text: 'Say hello to the whole wide world, please.' }] },
];

describe('textTokens', () => {
  it('counts ceil(chars / 4) of every string, as the emulator does', () => {
    expect(textTokens('abcd')).toBe(1);
    expect(textTokens('abcde')).toBe(2);
    expect(textTokens({ a: ['abcd', 'ab', 3, null], b: { c: 'abcdefgh' } })).toBe(4);
    expect(textTokens(messages)).toBe(estimateJsonTokens(messages));
  });

  it('walks 100 000 nested arrays without running out of stack, as the emulator does', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}"abcd"${']'.repeat(100_000)}`);
    expect(textTokens(deep)).toBe(1);
    expect(estimateJsonTokens(deep)).toBe(1);
  });
});

describe('estimateTokens', () => {
  const openai = createOpenAIAdapter();
  const groq = createGroqAdapter();
  const anthropic = createAnthropicAdapter();
  const gemini = createGeminiAdapter();

  it('OpenAI and Groq chat: the larger of the prompt count (+3) and the output maximum, as they charge', () => {
    const prompt = estimateJsonTokens(messages) + 3;
    expect(openai.estimateTokens?.({ model: 'm', messages, max_tokens: 5000 })).toBe(5000);
    expect(openai.estimateTokens?.({ model: 'm', messages, max_tokens: 1 })).toBe(prompt);
    expect(
      openai.estimateTokens?.({ model: 'm', messages, max_completion_tokens: 7000, max_tokens: 5 }),
    ).toBe(7000);
    expect(groq.estimateTokens?.({ model: 'm', messages })).toBe(prompt);
    expect(openai.chargesEstimate).toBe(true);
    expect(groq.chargesEstimate).toBe(true);
  });

  it('OpenAI Responses and Embeddings', () => {
    expect(openai.estimateTokens?.({ model: 'gpt-4o', input: 'abcdefgh', max_output_tokens: 10 })).toBe(10);
    expect(openai.estimateTokens?.({ model: 'text-embedding-3-small', input: ['abcd', 'abcd'] })).toBe(2);
  });

  it('Anthropic: messages + system + max_tokens; countTokens has no output', () => {
    const request = {
      model: 'claude',
      system: 'Be brief, ok?',
      messages: messages.slice(1),
      max_tokens: 100,
    };
    expect(anthropic.estimateTokens?.(request)).toBe(
      estimateJsonTokens(request.messages) + estimateJsonTokens(request.system) + 100,
    );
    expect(anthropic.estimateTokens?.({ model: 'claude', messages: messages.slice(1) })).toBe(
      estimateJsonTokens(messages.slice(1)),
    );
  });

  it('Gemini: contents + systemInstruction + maxOutputTokens, in both SDK shapes', () => {
    const contents = [{ role: 'user', parts: [{ text: 'Write a haiku about keys.' }] }];
    const prompt = estimateJsonTokens(contents);
    expect(gemini.estimateTokens?.({ contents, generationConfig: { maxOutputTokens: 40 } })).toBe(
      prompt + 40,
    );
    expect(gemini.estimateTokens?.({ model: 'g', contents, config: { maxOutputTokens: 30 } })).toBe(
      prompt + 30,
    );
    expect(gemini.estimateTokens?.('Write a haiku')).toBe(4 + DEFAULT_MAX_OUTPUT_TOKENS);
    expect(gemini.estimateTokens?.({ content: { parts: [{ text: 'abcdefgh' }] } })).toBe(2);
  });

  it('is 0 for what it cannot read', () => {
    expect(openai.estimateTokens?.(undefined)).toBe(0);
    expect(openai.estimateTokens?.(42)).toBe(0);
  });
});

describe('readUsage', () => {
  it('OpenAI chat, Responses and embeddings results', () => {
    expect(
      readOpenAIUsage({ usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } }),
    ).toMatchObject({
      inputTokens: 12,
      outputTokens: 7,
    });
    expect(readOpenAIUsage({ usage: { input_tokens: 5, output_tokens: 9 } })).toMatchObject({
      inputTokens: 5,
      outputTokens: 9,
    });
    expect(readOpenAIUsage({ usage: { prompt_tokens: 8, total_tokens: 8 } })).toMatchObject({
      inputTokens: 8,
      outputTokens: 0,
    });
    expect(readOpenAIUsage({ choices: [] })).toBeUndefined();
    expect(readOpenAIUsage(null)).toBeUndefined();
  });

  it('Groq, also from a stream chunk’s x_groq', () => {
    expect(readGroqUsage({ x_groq: { usage: { prompt_tokens: 3, completion_tokens: 4 } } })).toMatchObject({
      inputTokens: 3,
      outputTokens: 4,
    });
    expect(readGroqUsage({ usage: { prompt_tokens: 1, completion_tokens: 2 } })).toMatchObject({
      inputTokens: 1,
      outputTokens: 2,
    });
  });

  it('Anthropic messages and stream events', () => {
    expect(readAnthropicUsage({ usage: { input_tokens: 10, output_tokens: 20 } })).toMatchObject({
      inputTokens: 10,
      outputTokens: 20,
    });
    expect(
      readAnthropicUsage({
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 5,
          cache_read_input_tokens: 100,
          output_tokens: 1,
        },
      }),
    ).toMatchObject({ inputTokens: 15, outputTokens: 1 });
    expect(
      readAnthropicUsage({
        type: 'message_start',
        message: { usage: { input_tokens: 9, output_tokens: 1 } },
      }),
    ).toMatchObject({ inputTokens: 9, outputTokens: 1 });
    expect(readAnthropicUsage({ type: 'message_delta', usage: { output_tokens: 33 } })).toMatchObject({
      inputTokens: 0,
      outputTokens: 33,
    });
  });

  it('Gemini, both SDK result shapes, with thinking tokens as output', () => {
    const usageMetadata = { promptTokenCount: 6, candidatesTokenCount: 11, thoughtsTokenCount: 2 };
    expect(readGeminiUsage({ usageMetadata })).toMatchObject({ inputTokens: 6, outputTokens: 13 });
    expect(readGeminiUsage({ response: { usageMetadata } })).toMatchObject({
      inputTokens: 6,
      outputTokens: 13,
    });
    expect(readGeminiUsage({ candidates: [] })).toBeUndefined();
  });
});

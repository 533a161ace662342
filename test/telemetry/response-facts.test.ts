import { describe, expect, it } from 'vitest';
import { inputMessages, outputText } from '../../src/telemetry/content.js';
import { merge, readFacts } from '../../src/telemetry/response-facts.js';

const fold = (chunks: unknown[]) => chunks.reduce((facts, c) => merge(facts as object, readFacts(c)), {});

describe('readFacts: what each provider’s answer says about itself', () => {
  it('OpenAI chat completion: prompt_tokens already include the cached ones', () => {
    expect(
      readFacts({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 8 } },
      }),
    ).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini-2024-07-18',
      finishReasons: ['stop'],
      inputTokens: 12,
      outputTokens: 3,
      cacheReadTokens: 8,
    });
  });

  it('OpenAI stream: the finish reason of the last choice chunk, usage from the final chunk', () => {
    const facts = fold([
      { id: 'c', model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      { id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] },
      { id: 'c', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] },
      { id: 'c', model: 'm', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } },
    ]);
    expect(facts).toMatchObject({ id: 'c', finishReasons: ['length'], inputTokens: 5, outputTokens: 2 });
  });

  it('Anthropic message: input counts cache reads and writes too', () => {
    expect(
      readFacts({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-haiku-20241022',
        content: [{ type: 'text', text: 'hi' }],
        stop_reason: 'end_turn',
        usage: {
          input_tokens: 10,
          output_tokens: 4,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 20,
        },
      }),
    ).toEqual({
      id: 'msg_1',
      model: 'claude-3-5-haiku-20241022',
      finishReasons: ['end_turn'],
      inputTokens: 130,
      outputTokens: 4,
      cacheReadTokens: 100,
      cacheCreationTokens: 20,
    });
  });

  it('Anthropic stream events: message_start, then message_delta’s stop reason and cumulative output', () => {
    const facts = fold([
      {
        type: 'message_start',
        message: {
          id: 'msg_2',
          model: 'claude-x',
          usage: { input_tokens: 7, output_tokens: 1, cache_read_input_tokens: 0 },
        },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } },
    ]);
    expect(facts).toMatchObject({
      id: 'msg_2',
      model: 'claude-x',
      finishReasons: ['max_tokens'],
      inputTokens: 7,
      outputTokens: 9,
    });
  });

  it('Gemini (both SDKs): responseId, modelVersion, candidates’ finishReason, usageMetadata', () => {
    const body = {
      responseId: 'r-1',
      modelVersion: 'gemini-2.0-flash-001',
      candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 6, candidatesTokenCount: 2, cachedContentTokenCount: 4 },
    };
    const expected = {
      id: 'r-1',
      model: 'gemini-2.0-flash-001',
      finishReasons: ['STOP'],
      inputTokens: 6,
      outputTokens: 2,
      cacheReadTokens: 4,
    };
    expect(readFacts(body)).toEqual(expected);
    // @google/generative-ai's `generateContent` result wraps the body in `response`.
    expect(readFacts({ response: body })).toEqual(expected);
  });
});

describe('content, for captureContent only', () => {
  it('input messages of OpenAI, Anthropic (with its system) and Gemini requests', () => {
    expect(inputMessages({ messages: [{ role: 'user', content: 'a' }] })).toEqual({
      messages: [{ role: 'user', parts: [{ type: 'text', content: 'a' }] }],
    });
    expect(
      inputMessages({
        system: 'be brief',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'b' }, { type: 'image' }] }],
      }),
    ).toEqual({
      messages: [{ role: 'user', parts: [{ type: 'text', content: 'b' }, { type: 'image' }] }],
      system: [{ type: 'text', content: 'be brief' }],
    });
    expect(inputMessages({ contents: [{ role: 'user', parts: [{ text: 'c' }] }] })).toEqual({
      messages: [{ role: 'user', parts: [{ type: 'text', content: 'c' }] }],
    });
  });

  it('output text: a whole message replaces, a stream’s delta appends, the Google SDK’s aggregate is skipped', () => {
    expect(outputText({ choices: [{ message: { content: 'whole' } }] })).toEqual({
      text: 'whole',
      mode: 'replace',
    });
    expect(outputText({ choices: [{ delta: { content: 'par' } }] })).toEqual({ text: 'par', mode: 'append' });
    expect(outputText({ type: 'content_block_delta', delta: { type: 'text_delta', text: 't' } })).toEqual({
      text: 't',
      mode: 'append',
    });
    expect(outputText({ candidates: [{ content: { parts: [{ text: 'g' }] } }] })).toEqual({
      text: 'g',
      mode: 'append',
    });
    expect(outputText({ candidates: [], text: () => 'aggregate' })).toBeUndefined();
  });
});

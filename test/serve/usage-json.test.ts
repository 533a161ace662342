import { describe, expect, it } from 'vitest';
import { SseUsage } from '../../src/serve/sse-usage.js';
import { usageOfJson } from '../../src/serve/usage-json.js';

const of = (value: unknown): ReturnType<typeof usageOfJson> =>
  usageOfJson(Buffer.from(JSON.stringify(value)));

describe('usage of a JSON answer', () => {
  it('reads every provider’s format', () => {
    const chat = {
      id: 'c',
      choices: [{ message: { role: 'assistant', content: 'hi' } }],
      usage: { prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } },
      system_fingerprint: 'fp',
    };
    expect(of(chat)).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    const embeddings = {
      data: [{ embedding: Array.from({ length: 1536 }, (_, i) => i / 1536) }],
      usage: { prompt_tokens: 12, total_tokens: 12 },
    };
    expect(of(embeddings)).toMatchObject({ inputTokens: 12 });
    const anthropic = {
      content: [{ type: 'text', text: '{ not } json' }],
      usage: { input_tokens: 5, output_tokens: 9 },
    };
    expect(of(anthropic)).toMatchObject({ inputTokens: 5, outputTokens: 9 });
    const gemini = {
      candidates: [{ content: { parts: [{ text: 'x' }] } }],
      usageMetadata: {
        promptTokenCount: 4,
        candidatesTokenCount: 6,
        promptTokensDetails: [{ modality: 'TEXT' }],
      },
      modelVersion: 'm',
    };
    expect(of(gemini)).toMatchObject({ inputTokens: 4, outputTokens: 6 });
  });

  it('splits a relayed answer into cost buckets: cached prompt tokens inside OpenAI’s count, apart in Anthropic’s', () => {
    const openai = {
      usage: { prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 80 } },
    };
    expect(of(openai)?.buckets).toMatchObject({ uncachedInput: 20, cacheRead: 80, output: 5 });
    const responses = {
      usage: { input_tokens: 100, output_tokens: 5, input_tokens_details: { cached_tokens: 60 } },
    };
    expect(of(responses)?.buckets).toMatchObject({ uncachedInput: 40, cacheRead: 60, output: 5 });
    const anthropic = { usage: { input_tokens: 20, cache_read_input_tokens: 80, output_tokens: 5 } };
    expect(of(anthropic)?.buckets).toMatchObject({ uncachedInput: 20, cacheRead: 80, output: 5 });
  });

  it('is not fooled by "usage" in content, in a tool’s schema, or by a later object of that name', () => {
    const quoted = {
      choices: [{ message: { content: 'the "usage": {"prompt_tokens": 99}' } }],
      usage: { prompt_tokens: 1, completion_tokens: 2 },
    };
    expect(of(quoted)).toMatchObject({ inputTokens: 1, outputTokens: 2 });
    const responses = {
      tools: [{ type: 'function', parameters: { properties: { usage: { type: 'string' } } } }],
      usage: { input_tokens: 3, output_tokens: 4 },
      metadata: { usage: { note: 'not counts' } },
    };
    expect(of(responses)).toMatchObject({ inputTokens: 3, outputTokens: 4 });
    const textAfter = { usage: { prompt_tokens: 2, completion_tokens: 1 }, note: 'ends with \\"usage\\"' };
    expect(of(textAfter)).toMatchObject({ inputTokens: 2, outputTokens: 1 });
  });

  it('finds nothing in an answer without usage, or one that is not JSON', () => {
    expect(of({ data: [] })).toBeUndefined();
    expect(of({ usage: null })).toBeUndefined();
    expect(usageOfJson(Buffer.from('{"usage": {"prompt_tokens": 1'))).toBeUndefined();
    expect(usageOfJson(Buffer.from('<html>bad gateway</html>'))).toBeUndefined();
  });
});

/** A relayed stream, in SSE lines, cut into chunks at odd places (a line may span two chunks). */
function streamed(events: readonly unknown[]): SseUsage {
  const text = events.map((e) => `event: x\ndata: ${JSON.stringify(e)}\n\n`).join('');
  const usage = new SseUsage();
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += 37) usage.push(bytes.subarray(at, at + 37));
  return usage;
}

describe('usage of a relayed stream', () => {
  it('Anthropic: the prompt and its cache reads and writes from message_start, the output from message_delta', () => {
    // The shape of Anthropic's streaming docs: message_start carries the input side, message_delta the
    // cumulative output.
    const usage = streamed([
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          content: [],
          usage: {
            input_tokens: 20,
            cache_creation_input_tokens: 30,
            cache_read_input_tokens: 80,
            output_tokens: 1,
          },
        },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'usage is…' } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } },
      { type: 'message_stop' },
    ]).usage;
    expect(usage).toMatchObject({ inputTokens: 20, outputTokens: 15 });
    expect(usage?.buckets).toMatchObject({ uncachedInput: 20, cacheWrite: 30, cacheRead: 80, output: 15 });
  });

  it('OpenAI: the final chunk’s usage (include_usage), cached tokens inside the prompt count', () => {
    const usage = streamed([
      {
        id: 'c',
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content: 'hi' } }],
        usage: null,
      },
      {
        id: 'c',
        object: 'chat.completion.chunk',
        choices: [],
        usage: {
          prompt_tokens: 100,
          completion_tokens: 12,
          total_tokens: 112,
          prompt_tokens_details: { cached_tokens: 64 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ]).usage;
    expect(usage).toMatchObject({ inputTokens: 100, outputTokens: 12 });
    expect(usage?.buckets).toMatchObject({ uncachedInput: 36, cacheRead: 64, output: 12 });
  });

  it('Gemini: the last chunk’s cumulative usageMetadata, cached content apart', () => {
    const usage = streamed([
      {
        candidates: [{ content: { parts: [{ text: 'a' }] } }],
        usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 1 },
      },
      {
        candidates: [{ content: { parts: [{ text: 'b' }] }, finishReason: 'STOP' }],
        usageMetadata: {
          promptTokenCount: 50,
          cachedContentTokenCount: 40,
          candidatesTokenCount: 9,
          totalTokenCount: 59,
        },
      },
    ]).usage;
    expect(usage).toMatchObject({ inputTokens: 50, outputTokens: 9 });
    expect(usage?.buckets).toMatchObject({ uncachedInput: 10, cacheRead: 40, output: 9 });
  });

  it('no usage in the stream: none', () => {
    expect(
      streamed([{ type: 'ping' }, { choices: [{ delta: { content: 'usage' } }] }]).usage,
    ).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { EmptyStreamError } from '../../src/clients/streams/stream-timeout-error.js';
import { classifyError } from '../../src/providers/classify.js';
import { readStreamHead, type StreamBody } from '../../src/serve/stream-head.js';
import { UpstreamHttpError } from '../../src/serve/upstream-error.js';

/** A body that yields `parts` (then fails with `cut`, when given) and records that it was destroyed. */
function body(parts: readonly string[], cut?: Error): StreamBody & { destroyed: boolean; read: number } {
  const state = { destroyed: false, read: 0 };
  return Object.assign(state, {
    async *[Symbol.asyncIterator]() {
      for (const part of parts) {
        state.read++;
        yield new TextEncoder().encode(part);
      }
      if (cut) throw cut;
    },
    destroy() {
      state.destroyed = true;
    },
  });
}

async function text(stream: StreamBody): Promise<string> {
  let out = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  return out;
}

const cut = (): Error => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
const sse = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

const role = sse({
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
});
const hello = sse({
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
});
const geminiEmpty = sse({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, index: 0 }] });
const geminiText = sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0 }] });

describe('readStreamHead: a gateway stream held back until its first content', () => {
  it('gives back every byte read, in order, once content came, and reads no further', async () => {
    // The role chunk split across two reads: the parser waits for the event's end.
    const upstream = body([role.slice(0, 20), role.slice(20), hello, 'data: [DONE]\n\n']);
    const head = await readStreamHead(upstream);
    expect(upstream.read).toBe(3);
    expect(await text(head)).toBe(`${role}${hello}data: [DONE]\n\n`);
    expect(upstream.destroyed).toBe(false);
  });

  it('throws the cut when the upstream breaks before content, and destroys the body', async () => {
    const upstream = body([role], cut());
    await expect(readStreamHead(upstream)).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(upstream.destroyed).toBe(true);
  });

  it('holds Gemini chunks with no text, and Anthropic’s opening events', async () => {
    await expect(readStreamHead(body([geminiEmpty], cut()))).rejects.toThrow('other side closed');
    expect(await text(await readStreamHead(body([geminiEmpty, geminiText])))).toBe(geminiEmpty + geminiText);
    const opening =
      sse({ type: 'message_start', message: {} }, 'message_start') +
      sse(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        'content_block_start',
      ) +
      sse({ type: 'ping' }, 'ping');
    await expect(readStreamHead(body([opening], cut()))).rejects.toThrow('other side closed');
  });

  it('a stream that ends with nothing but its opening is an empty answer: a fault of the attempt', async () => {
    const error = await readStreamHead(body([role])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmptyStreamError);
    expect(classifyError(error, 0).class).toBe('transient');
  });

  it('an error event before content is the error the provider’s HTTP answer would be', async () => {
    const overloaded = sse(
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      'error',
    );
    const error = await readStreamHead(body([sse({ type: 'message_start', message: {} }), overloaded])).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(error).toMatchObject({ status: 529 });
    expect(classifyError(error, 0).class).toBe('transient');
    const gemini = sse({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } });
    await expect(readStreamHead(body([gemini]))).rejects.toMatchObject({ status: 503 });
  });
});

import { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import type { TokenUsage } from '../core/events.js';
import { isRec, type Rec, type TextAnswer, type TextChat } from '../translate/chat.js';
import type { AnswerPiece } from '../translate/openai-chat.js';
import type { JobResult } from './gateway-job.js';
import type { UpstreamRequest } from './upstream.js';

/** How one translated target is reached, and how its answers read as a text chat. */
export interface TargetDialect {
  readonly request: (chat: TextChat) => Pick<UpstreamRequest, 'path' | 'query' | 'body'>;
  readonly answer: (json: unknown, chat: TextChat) => TextAnswer;
  readonly pieces: (events: AsyncIterable<unknown>, chat: TextChat) => AsyncIterable<AnswerPiece>;
}

/** How a client's request reads as a text chat, and how a text answer is written back in its format. */
export interface SourceDialect {
  readonly read: (body: Rec) => TextChat;
  readonly whole: (answer: TextAnswer) => Rec;
  /** The answer's pieces as the client's SSE bytes, from the first event to the last. */
  readonly sse: (pieces: AsyncIterable<AnswerPiece>, chat: TextChat) => AsyncIterable<Buffer>;
}

const body = (rec: Rec): Buffer => Buffer.from(JSON.stringify(rec));

/** A translated target's whole answer, written in the client's format. */
export function bufferedBack(
  result: Extract<JobResult, { kind: 'buffered' }>,
  dialect: TargetDialect,
  source: SourceDialect,
  chat: TextChat,
): JobResult {
  const answer = dialect.answer(JSON.parse(result.body.toString('utf8')), chat);
  const headers = { ...result.response.headers, 'content-type': 'application/json' };
  return {
    ...result,
    response: { ...result.response, headers },
    body: body(source.whole(answer)),
  };
}

/** The provider's SSE events, parsed; its error event (Anthropic's, OpenAI's) ends the stream with an error. */
async function* sseEvents(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<unknown, void, undefined> {
  const parsed: unknown[] = [];
  const parser = createParser({
    onEvent: (event) => {
      if (event.data !== '[DONE]') parsed.push(JSON.parse(event.data));
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of bytes) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    for (const event of parsed.splice(0)) {
      // Anthropic's `event: error`, or OpenAI's `data: {"error": …}`.
      if (isRec(event) && (event.type === 'error' || (isRec(event.error) && !('choices' in event)))) {
        const error = isRec(event.error) ? event.error : {};
        throw new Error(`the provider's stream sent an error: ${String(error.message ?? error.type ?? '')}`);
      }
      yield event;
    }
  }
}

/**
 * The answer's pieces as they come, its usage kept for the key; a stream that ends without its finish
 * is an error (a cut upstream), never a clean end of a truncated answer.
 */
async function* checked(
  pieces: AsyncIterable<AnswerPiece>,
  onUsage: (usage: TokenUsage) => void,
): AsyncGenerator<AnswerPiece, void, undefined> {
  let finished = false;
  for await (const piece of pieces) {
    if (piece.kind === 'finish') finished = true;
    if (piece.kind === 'usage') onUsage({ inputTokens: piece.inputTokens, outputTokens: piece.outputTokens });
    yield piece;
  }
  if (!finished) throw new Error("the provider's stream ended before its last event");
}

/**
 * A translated target's stream, read as answer pieces and written as the client's SSE events as they
 * come; its usage goes to the key whether or not the client asked for it in the stream.
 */
export function streamBack(
  result: Extract<JobResult, { kind: 'stream' }>,
  dialect: TargetDialect,
  source: SourceDialect,
  chat: TextChat,
): JobResult {
  const upstream = result.response.body;
  let usage: TokenUsage | undefined;
  const pieces = checked(dialect.pieces(sseEvents(upstream), chat), (u) => {
    usage = u;
  });
  const out = Readable.from(source.sse(pieces, chat), { objectMode: false });
  // The client went away (the relay destroys what it reads): the provider's body goes too.
  out.once('close', () => upstream.destroy());
  const headers = { ...result.response.headers, 'content-type': 'text/event-stream' };
  return {
    ...result,
    response: { ...result.response, headers, body: out },
    // The usage the relay reads from the chunks is there only when the client asked for it.
    finish: (seen, failure) => result.finish(seen ?? usage, failure),
  };
}

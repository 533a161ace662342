import { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { UnsupportedTargetError } from '../core/errors.js';
import type { TokenUsage } from '../core/events.js';
import type { ModelTarget } from '../core/fallback.js';
import { anthropicAnswer, anthropicPieces, anthropicRequest } from '../translate/anthropic-messages.js';
import { isRec, type Rec, type TextAnswer, type TextChat, Untranslatable } from '../translate/chat.js';
import { geminiAnswer, geminiPieces, geminiWireRequest } from '../translate/gemini-content.js';
import {
  type AnswerPiece,
  openAIChunks,
  openAICompletion,
  readOpenAIChat,
} from '../translate/openai-chat.js';
import type { JobResult } from './gateway-job.js';
import type { UpstreamRequest, UpstreamResponse } from './upstream.js';

/** A fallback's request on another wire format, and its answer brought back to the client's. */
export interface TranslatedRequest {
  readonly request: UpstreamRequest;
  readonly back: (result: JobResult) => JobResult;
}

/** A model name as Google writes them: nothing that could leave the path's segment. */
const GEMINI_MODEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** How one translated target is reached, and how its answers read as a text chat. */
interface Dialect {
  readonly request: (chat: TextChat) => Pick<UpstreamRequest, 'path' | 'query' | 'body'>;
  readonly answer: (json: unknown, chat: TextChat) => TextAnswer;
  readonly pieces: (events: AsyncIterable<unknown>, chat: TextChat) => AsyncIterable<AnswerPiece>;
}

const body = (rec: Rec): Buffer => Buffer.from(JSON.stringify(rec));

const DIALECTS: Readonly<Record<'anthropic' | 'gemini', Dialect>> = {
  anthropic: {
    request: (chat) => ({ path: '/v1/messages', query: '', body: body(anthropicRequest(chat)) }),
    answer: (json) => anthropicAnswer(json),
    pieces: (events) => anthropicPieces(events),
  },
  gemini: {
    request: (chat) => {
      if (!GEMINI_MODEL.test(chat.model)) throw new Untranslatable('model');
      const method = chat.stream ? 'streamGenerateContent' : 'generateContent';
      const query = chat.stream ? '?alt=sse' : '';
      return { path: `/v1beta/models/${chat.model}:${method}`, query, body: body(geminiWireRequest(chat)) };
    },
    answer: (json, chat) => geminiAnswer(json, chat.model),
    pieces: (events, chat) => geminiPieces(events, chat.model),
  },
};

/**
 * An OpenAI-wire chat completion (the gateway's OpenAI and Groq routes) aimed at Anthropic Messages or
 * Gemini generateContent: the text chat translated (as the wrapped OpenAI client does), the answer
 * brought back as a `chat.completion` or its chunks with the serving model. Undefined for another
 * provider; throws UnsupportedTargetError for a request the translation does not carry (tools, images,
 * response formats, …): that target is skipped, never sent with parts dropped.
 */
export function translateChat(
  request: UpstreamRequest,
  parsed: unknown,
  target: ModelTarget,
): TranslatedRequest | undefined {
  if (target.provider !== 'anthropic' && target.provider !== 'gemini') return undefined;
  const dialect = DIALECTS[target.provider];
  let chat: TextChat;
  let sent: Pick<UpstreamRequest, 'path' | 'query' | 'body'>;
  try {
    chat = readOpenAIChat({ ...(isRec(parsed) ? parsed : {}), model: target.model });
    sent = dialect.request(chat);
  } catch (error) {
    if (!(error instanceof Untranslatable)) throw error;
    throw new UnsupportedTargetError(
      `${target.provider} cannot carry this request: ${error.message}`,
      target.provider,
    );
  }
  return {
    request: { ...request, ...sent, provider: target.provider, model: target.model, headers: {} },
    back: (result) =>
      result.kind === 'buffered' ? bufferedBack(result, dialect, chat) : streamBack(result, dialect, chat),
  };
}

function bufferedBack(
  result: Extract<JobResult, { kind: 'buffered' }>,
  dialect: Dialect,
  chat: TextChat,
): JobResult {
  const answer = dialect.answer(JSON.parse(result.body.toString('utf8')), chat);
  const headers = { ...result.response.headers, 'content-type': 'application/json' };
  return {
    ...result,
    response: { ...result.response, headers },
    body: body(openAICompletion(answer)),
  };
}

/** The provider's SSE events, parsed; its error event (Anthropic's) ends the stream with an error. */
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
      if (isRec(event) && event.type === 'error') {
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

async function* openAISse(chunks: AsyncIterable<Rec>): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of chunks) yield Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
  yield Buffer.from('data: [DONE]\n\n');
}

function streamBack(
  result: Extract<JobResult, { kind: 'stream' }>,
  dialect: Dialect,
  chat: TextChat,
): JobResult {
  const upstream = result.response.body;
  let usage: TokenUsage | undefined;
  const pieces = checked(dialect.pieces(sseEvents(upstream), chat), (u) => {
    usage = u;
  });
  const out = Readable.from(openAISse(openAIChunks(pieces, chat.streamUsage)), { objectMode: false });
  // The client went away (the relay destroys what it reads): the provider's body goes too.
  out.once('close', () => upstream.destroy());
  const headers = { ...result.response.headers, 'content-type': 'text/event-stream' };
  return {
    ...result,
    // The relay only iterates and destroys a stream's body, as a Readable.
    response: { ...result.response, headers, body: out as unknown as UpstreamResponse['body'] },
    // The usage the relay reads from the chunks is there only when the client asked for it.
    finish: (seen, failure) => result.finish(seen ?? usage, failure),
  };
}

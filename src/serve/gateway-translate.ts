import { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { UnsupportedTargetError } from '../core/errors.js';
import type { TokenUsage } from '../core/events.js';
import type { ModelTarget } from '../core/fallback.js';
import { anthropicEvents, anthropicMessage, readAnthropicChat } from '../translate/anthropic-chat.js';
import { anthropicAnswer, anthropicPieces, anthropicRequest } from '../translate/anthropic-messages.js';
import { isRec, type Rec, type TextAnswer, type TextChat, Untranslatable } from '../translate/chat.js';
import { geminiAnswer, geminiPieces, geminiWireRequest } from '../translate/gemini-content.js';
import {
  type AnswerPiece,
  openAIAnswer,
  openAIChunks,
  openAICompletion,
  openAIPieces,
  openAIRequest,
  readOpenAIChat,
} from '../translate/openai-chat.js';
import type { JobResult } from './gateway-job.js';
import type { GatewayProvider, UpstreamRequest } from './upstream.js';

/** A fallback's request on another wire format, and its answer brought back to the client's. */
export interface TranslatedRequest {
  readonly request: UpstreamRequest;
  readonly back: (result: JobResult) => JobResult;
}

/** A model name as Google writes them: nothing that could leave the path's segment. */
const GEMINI_MODEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** How one translated target is reached, and how its answers read as a text chat. */
interface TargetDialect {
  readonly request: (chat: TextChat) => Pick<UpstreamRequest, 'path' | 'query' | 'body'>;
  readonly answer: (json: unknown, chat: TextChat) => TextAnswer;
  readonly pieces: (events: AsyncIterable<unknown>, chat: TextChat) => AsyncIterable<AnswerPiece>;
}

/** How a client's request reads as a text chat, and how a text answer is written back in its format. */
interface SourceDialect {
  readonly read: (body: Rec) => TextChat;
  readonly whole: (answer: TextAnswer) => Rec;
  /** The answer's pieces as the client's SSE bytes, from the first event to the last. */
  readonly sse: (pieces: AsyncIterable<AnswerPiece>, chat: TextChat) => AsyncIterable<Buffer>;
}

const body = (rec: Rec): Buffer => Buffer.from(JSON.stringify(rec));

/** An OpenAI-wire chat completion, relative to each provider's key's base URL (OpenAI's ends in `/v1`). */
export const CHAT_PATHS: Readonly<Partial<Record<GatewayProvider, string>>> = {
  openai: '/chat/completions',
  groq: '/openai/v1/chat/completions',
};

const openAIWire = (path: string): TargetDialect => ({
  request: (chat) => ({ path, query: '', body: body(openAIRequest(chat)) }),
  answer: (json) => openAIAnswer(json),
  pieces: (events) => openAIPieces(events),
});

const TARGETS: Readonly<Partial<Record<GatewayProvider, TargetDialect>>> = {
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
  openai: openAIWire(CHAT_PATHS.openai ?? ''),
  groq: openAIWire(CHAT_PATHS.groq ?? ''),
};

async function* openAISse(chunks: AsyncIterable<Rec>): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of chunks) yield Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
  yield Buffer.from('data: [DONE]\n\n');
}

async function* anthropicSse(events: AsyncIterable<Rec>): AsyncGenerator<Buffer, void, undefined> {
  for await (const event of events) {
    yield Buffer.from(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  }
}

/** The requests the gateway translates: which route reads which format, to which targets. */
const SOURCES: ReadonlyArray<{
  readonly from: (request: UpstreamRequest) => boolean;
  readonly to: ReadonlySet<string>;
  readonly dialect: SourceDialect;
}> = [
  {
    // OpenAI's and Groq's chat completions → Anthropic Messages, Gemini generateContent.
    from: (request) => CHAT_PATHS[request.provider] === request.path,
    to: new Set(['anthropic', 'gemini']),
    dialect: {
      read: readOpenAIChat,
      whole: openAICompletion,
      sse: (pieces, chat) => openAISse(openAIChunks(pieces, chat.streamUsage)),
    },
  },
  {
    // Anthropic Messages → OpenAI-wire chat completions (OpenAI, Groq).
    from: (request) => request.provider === 'anthropic' && request.path === '/v1/messages',
    to: new Set(['openai', 'groq']),
    dialect: {
      read: readAnthropicChat,
      whole: anthropicMessage,
      sse: (pieces) => anthropicSse(anthropicEvents(pieces)),
    },
  },
];

/**
 * A request aimed at another provider's model through a text-chat translation (the same modules the
 * wrapped clients use): an OpenAI-wire chat completion (the gateway's OpenAI and Groq routes) to
 * Anthropic Messages or Gemini generateContent, an Anthropic Messages request to an OpenAI-wire chat
 * completion (OpenAI, Groq). The answer comes back in the client's format (whole or as its SSE events)
 * with the serving model. Undefined when no translation goes from this request to that provider;
 * throws UnsupportedTargetError for a request the translation does not carry (tools, images, response
 * formats, …): that target is skipped, never sent with parts dropped.
 */
export function translateChat(
  request: UpstreamRequest,
  parsed: unknown,
  target: ModelTarget,
): TranslatedRequest | undefined {
  const source = SOURCES.find((s) => s.from(request) && s.to.has(target.provider));
  const dialect = TARGETS[target.provider as GatewayProvider];
  if (source === undefined || dialect === undefined) return undefined;
  let chat: TextChat;
  let sent: Pick<UpstreamRequest, 'path' | 'query' | 'body'>;
  try {
    chat = source.dialect.read({ ...(isRec(parsed) ? parsed : {}), model: target.model });
    sent = dialect.request(chat);
  } catch (error) {
    if (!(error instanceof Untranslatable)) throw error;
    throw new UnsupportedTargetError(
      `${target.provider} cannot carry this request: ${error.message}`,
      target.provider,
    );
  }
  const provider = target.provider as GatewayProvider;
  return {
    request: { ...request, ...sent, provider, model: target.model, headers: {} },
    back: (result) =>
      result.kind === 'buffered'
        ? bufferedBack(result, dialect, source.dialect, chat)
        : streamBack(result, dialect, source.dialect, chat),
  };
}

function bufferedBack(
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

function streamBack(
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

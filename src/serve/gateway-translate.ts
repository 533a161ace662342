import { UnsupportedTargetError } from '../core/errors.js';
import type { ModelTarget } from '../core/fallback.js';
import { anthropicEvents, anthropicMessage, readAnthropicChat } from '../translate/anthropic-chat.js';
import { anthropicAnswer, anthropicPieces, anthropicRequest } from '../translate/anthropic-messages.js';
import { isRec, type Rec, type TextChat, Untranslatable } from '../translate/chat.js';
import { geminiAnswer, geminiPieces, geminiWireRequest } from '../translate/gemini-content.js';
import {
  openAIAnswer,
  openAIChunks,
  openAICompletion,
  openAIPieces,
  openAIRequest,
  readOpenAIChat,
} from '../translate/openai-chat.js';
import type { JobResult } from './gateway-job.js';
import { bufferedBack, type SourceDialect, streamBack, type TargetDialect } from './translated-answer.js';
import type { GatewayProvider, UpstreamRequest } from './upstream.js';

/** A fallback's request on another wire format, and its answer brought back to the client's. */
export interface TranslatedRequest {
  readonly request: UpstreamRequest;
  readonly back: (result: JobResult) => JobResult;
}

/** A model name as Google writes them: nothing that could leave the path's segment. */
export const GEMINI_MODEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

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

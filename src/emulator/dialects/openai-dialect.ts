import type { IncomingMessage } from 'node:http';
import type { LimitDimension, PoolState } from '../limits/quota-pool.js';
import {
  type ChatRequest,
  type Dialect,
  header,
  intField,
  isRecord,
  type Problem,
  type Reply,
} from './dialect.js';
import { formatGoDuration } from './go-duration.js';
import { chatCompletion, chatCompletionFrames } from './openai-format.js';
import { estimateJsonTokens } from './text-gen.js';

type Flavor = 'openai' | 'groq';

const UNIT_NAMES: Record<Flavor, Record<LimitDimension, string>> = {
  openai: {
    'requests-minute': 'requests per min (RPM)',
    'tokens-minute': 'tokens per min (TPM)',
    'requests-day': 'requests per day (RPD)',
    'tokens-day': 'tokens per day (TPD)',
    concurrency: 'concurrent requests',
  },
  groq: {
    'requests-minute': 'requests per minute (RPM)',
    'tokens-minute': 'tokens per minute (TPM)',
    'requests-day': 'requests per day (RPD)',
    'tokens-day': 'tokens per day (TPD)',
    concurrency: 'concurrent requests',
  },
};

const ORG: Record<Flavor, string> = { openai: 'org-emulator', groq: 'org_emulator' };
const DOCS: Record<Flavor, string> = {
  openai: 'https://platform.openai.com/account/rate-limits',
  groq: 'https://console.groq.com/docs/rate-limits',
};

function error(
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): Reply {
  return { status, headers, body: { error: { message, type, param: null, code } } };
}

/**
 * OpenAI's wire format, and Groq's, which is the same but for its headers: Groq's `*-requests` count per
 * day, a 429 carries `retry-after`, and a request larger than the TPM is a 413.
 */
export function createOpenAIDialect(flavor: Flavor): Dialect {
  const retryAfter = (ms: number): Record<string, string> =>
    flavor === 'groq' ? { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) } : {};
  const requestsDimension = flavor === 'groq' ? 'requests-day' : 'requests-minute';

  function problem(p: Problem): Reply {
    switch (p.kind) {
      case 'unauthorized':
        return flavor === 'groq'
          ? error(401, 'Invalid API Key', 'invalid_request_error', 'invalid_api_key')
          : error(
              401,
              'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
              'invalid_request_error',
              'invalid_api_key',
            );
      case 'invalid':
        return error(400, p.message, 'invalid_request_error', null);
      case 'not-found':
        return error(404, p.message, 'invalid_request_error', 'unknown_url');
      case 'limited':
        return limited(p.refusal, p.model);
      case 'fault':
        return fault(p.fault, p.model, p.retryAfterMs ?? 1000);
    }
  }

  function limited(r: Extract<Problem, { kind: 'limited' }>['refusal'], model: string): Reply {
    const unit = UNIT_NAMES[flavor][r.dimension];
    const type = r.dimension.startsWith('tokens') ? 'tokens' : 'requests';
    const where =
      flavor === 'groq'
        ? `model \`${model}\` in organization \`${ORG.groq}\``
        : `${model} in organization ${ORG.openai}`;
    if (r.tooLarge) {
      const message = `Request too large for ${where} on ${unit}: Limit ${r.limit}, Requested ${r.requested}, please reduce your message size and try again. Visit ${DOCS[flavor]} for more information.`;
      return error(flavor === 'groq' ? 413 : 429, message, type, 'rate_limit_exceeded');
    }
    const message = `Rate limit reached for ${where} on ${unit}: Limit ${r.limit}, Used ${r.used}, Requested ${r.requested}. Please try again in ${formatGoDuration(r.retryAfterMs)}. Visit ${DOCS[flavor]} to learn more.`;
    return error(429, message, type, 'rate_limit_exceeded', retryAfter(r.retryAfterMs));
  }

  function fault(kind: Extract<Problem, { kind: 'fault' }>['fault'], model: string, waitMs: number): Reply {
    switch (kind) {
      case 'rate-limit':
        return error(
          429,
          `Rate limit reached for ${model} on requests. Please try again in ${formatGoDuration(waitMs)}.`,
          'requests',
          'rate_limit_exceeded',
          retryAfter(waitMs),
        );
      case 'quota':
        return error(
          429,
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          'insufficient_quota',
          'insufficient_quota',
        );
      case 'bad-gateway':
        return error(502, 'Bad gateway.', 'server_error', null);
      case 'unavailable':
        return error(503, 'The server is overloaded or not ready yet.', 'server_error', null);
      case 'overloaded':
        return error(
          503,
          'The engine is currently overloaded, please try again later.',
          'server_error',
          null,
        );
      default:
        return error(
          500,
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
        );
    }
  }

  return {
    provider: flavor,
    apiKey(req: IncomingMessage): string | undefined {
      const auth = header(req, 'authorization');
      return auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    },
    parseChat(body: unknown): ChatRequest | string {
      if (!isRecord(body)) return 'We could not parse the JSON body of your request.';
      if (typeof body.model !== 'string') return 'you must provide a model parameter';
      if (!Array.isArray(body.messages) || body.messages.length === 0)
        return "'messages' must contain at least one message";
      const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
      return {
        model: body.model,
        stream: body.stream === true,
        includeUsage: body.stream === true && streamOptions.include_usage === true,
        inputTokens: estimateJsonTokens(body.messages) + 3,
        maxTokens: intField(body.max_completion_tokens) ?? intField(body.max_tokens),
      };
    },
    // OpenAI counts the larger of max_tokens and the prompt estimate, up front, and never corrects it.
    chargeUpFront: (request) => Math.max(request.maxTokens ?? 0, request.inputTokens),
    settle: (request) => Math.max(request.maxTokens ?? 0, request.inputTokens),
    limitHeaders(state: PoolState): Record<string, string> {
      const headers: Record<string, string> = {};
      for (const [suffix, dimension] of [
        ['requests', requestsDimension],
        ['tokens', 'tokens-minute'],
      ] as const) {
        const bucket = state[dimension];
        if (bucket === undefined) continue;
        headers[`x-ratelimit-limit-${suffix}`] = String(bucket.limit);
        headers[`x-ratelimit-remaining-${suffix}`] = String(bucket.remaining);
        headers[`x-ratelimit-reset-${suffix}`] = formatGoDuration(bucket.resetMs);
      }
      return headers;
    },
    idHeaders: (responseId) => ({ 'x-request-id': responseId, 'openai-processing-ms': '1' }),
    problem,
    chatBody: (answer) => chatCompletion(answer),
    streamFrames: chatCompletionFrames,
  };
}

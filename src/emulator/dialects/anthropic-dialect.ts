import type { LimitDimension, PoolState } from '../limits/quota-pool.js';
import { anthropicFrames, anthropicMessage } from './anthropic-format.js';
import {
  type ChatRequest,
  type Dialect,
  header,
  intField,
  isRecord,
  type Problem,
  type Reply,
} from './dialect.js';
import { estimateJsonTokens } from './text-gen.js';

const UNITS: Record<LimitDimension, string> = {
  'requests-minute': 'requests per minute',
  'tokens-minute': 'tokens per minute',
  'requests-day': 'requests per day',
  'tokens-day': 'tokens per day',
  concurrency: 'concurrent connections',
};

function error(status: number, type: string, message: string, headers: Record<string, string> = {}): Reply {
  return { status, headers, body: { type: 'error', error: { type, message } } };
}

const retryAfter = (ms: number): Record<string, string> => ({
  'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
});

/** RFC 3339, whole seconds, rounded up: when the bucket will be full again. */
function rfc3339(at: number): string {
  return new Date(Math.ceil(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function problem(p: Problem): Reply {
  switch (p.kind) {
    case 'unauthorized':
      return error(401, 'authentication_error', 'invalid x-api-key');
    case 'invalid':
      return error(400, 'invalid_request_error', p.message);
    case 'not-found':
      return error(404, 'not_found_error', p.message);
    case 'limited': {
      const r = p.refusal;
      const message = `This request would exceed the rate limit for your organization (org-emulator) of ${r.limit} ${UNITS[r.dimension]}. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.`;
      return error(429, 'rate_limit_error', message, retryAfter(r.retryAfterMs));
    }
    case 'fault':
      switch (p.fault) {
        case 'rate-limit':
          return error(
            429,
            'rate_limit_error',
            'Number of requests has exceeded your rate limit.',
            retryAfter(1000),
          );
        case 'quota':
          return error(
            400,
            'invalid_request_error',
            'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
          );
        case 'overloaded':
          return error(529, 'overloaded_error', 'Overloaded');
        case 'unavailable':
          return error(503, 'api_error', 'Service unavailable');
        case 'bad-gateway':
          return error(502, 'api_error', 'Bad gateway');
        default:
          return error(500, 'api_error', 'Internal server error');
      }
  }
}

/**
 * Anthropic's Messages API. Output tokens are charged from `max_tokens` before the answer and corrected
 * to the real count after it, as Anthropic's output-token limiter does.
 */
export function createAnthropicDialect(): Dialect {
  return {
    provider: 'anthropic',
    // `x-api-key`, or a bearer token as @anthropic-ai/sdk 1.x sends an API key.
    apiKey(req) {
      const bearer = header(req, 'authorization');
      return header(req, 'x-api-key') ?? (bearer?.startsWith('Bearer ') ? bearer.slice(7).trim() : undefined);
    },
    parseChat(body: unknown, _url: URL): ChatRequest | string {
      if (!isRecord(body)) return 'request body must be a JSON object';
      if (typeof body.model !== 'string') return 'model: Field required';
      const maxTokens = intField(body.max_tokens);
      if (maxTokens === undefined || maxTokens < 1) return 'max_tokens: Field required';
      if (!Array.isArray(body.messages) || body.messages.length === 0)
        return 'messages: at least one message is required';
      return {
        model: body.model,
        stream: body.stream === true,
        includeUsage: false,
        inputTokens: estimateJsonTokens(body.messages) + estimateJsonTokens(body.system ?? ''),
        maxTokens,
      };
    },
    chargeUpFront: (request) => request.inputTokens + (request.maxTokens ?? 0),
    settle: (request, answer) => request.inputTokens + answer.outputTokens,
    limitHeaders(state: PoolState, now: number): Record<string, string> {
      const headers: Record<string, string> = {};
      const put = (prefix: string, dimension: 'requests-minute' | 'tokens-minute'): void => {
        const bucket = state[dimension];
        if (bucket === undefined) return;
        headers[`anthropic-ratelimit-${prefix}-limit`] = String(bucket.limit);
        headers[`anthropic-ratelimit-${prefix}-remaining`] = String(bucket.remaining);
        headers[`anthropic-ratelimit-${prefix}-reset`] = rfc3339(now + bucket.resetMs);
      };
      put('requests', 'requests-minute');
      // One token bucket stands for Anthropic's combined, input and output token limits.
      for (const prefix of ['tokens', 'input-tokens', 'output-tokens']) put(prefix, 'tokens-minute');
      return headers;
    },
    idHeaders: (responseId) => ({ 'request-id': responseId, 'anthropic-organization-id': 'org-emulator' }),
    problem,
    chatBody: (answer) => anthropicMessage(answer),
    streamFrames: (answer) => anthropicFrames(answer),
  };
}

/** Anthropic answers 400 when `anthropic-version` is missing; the SDK always sends it. */
export function missingAnthropicVersion(req: Parameters<Dialect['apiKey']>[0]): boolean {
  return header(req, 'anthropic-version') === undefined;
}

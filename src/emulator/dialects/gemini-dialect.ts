import {
  type ChatRequest,
  type Dialect,
  header,
  intField,
  isRecord,
  type Problem,
  type Reply,
} from './dialect.js';
import { geminiFrames, geminiResponse } from './gemini-format.js';
import { formatProtoDuration } from './go-duration.js';
import { estimateJsonTokens } from './text-gen.js';

const MODEL_PATH = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

function error(code: number, status: string, message: string, details: unknown[] = []): Reply {
  return {
    status: code,
    headers: {},
    body: { error: { code, message, status, ...(details.length > 0 ? { details } : {}) } },
  };
}

/** A 429 RESOURCE_EXHAUSTED; without `retryMs` (a daily quota), no RetryInfo and no "Please retry in". */
function exhausted(
  model: string,
  metric: string,
  quotaId: string,
  limit: number,
  retryMs: number | undefined,
): Reply {
  const retry = retryMs === undefined ? '' : `\nPlease retry in ${formatProtoDuration(retryMs)}.`;
  const message = `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: generativelanguage.googleapis.com/${metric}, limit: ${limit}, model: ${model}${retry}`;
  return error(429, 'RESOURCE_EXHAUSTED', message, [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: `generativelanguage.googleapis.com/${metric}`,
          quotaId,
          quotaDimensions: { location: 'global', model },
          quotaValue: String(limit),
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [
        {
          description: 'Learn more about Gemini API quotas',
          url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
        },
      ],
    },
    // Gemini writes the message's delay with decimals and RetryInfo's in whole seconds, rounded down.
    ...(retryMs === undefined
      ? []
      : [
          {
            '@type': 'type.googleapis.com/google.rpc.RetryInfo',
            retryDelay: `${Math.floor(retryMs / 1000)}s`,
          },
        ]),
  ]);
}

function problem(p: Problem): Reply {
  switch (p.kind) {
    case 'unauthorized':
      // Google's real answers: 403 without a key, 400 API_KEY_INVALID with a wrong one (not 401).
      return p.missing
        ? error(
            403,
            'PERMISSION_DENIED',
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          )
        : error(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'generativelanguage.googleapis.com' },
            },
          ]);
    case 'invalid':
      return error(400, 'INVALID_ARGUMENT', p.message);
    case 'not-found':
      return error(404, 'NOT_FOUND', p.message);
    case 'limited': {
      const r = p.refusal;
      const tokens = r.dimension.startsWith('tokens');
      const perDay = r.dimension.endsWith('day');
      const metric = tokens
        ? 'generate_content_free_tier_input_token_count'
        : 'generate_content_free_tier_requests';
      const quotaId = `Generate${tokens ? 'ContentInputTokens' : 'Requests'}Per${perDay ? 'Day' : 'Minute'}PerProjectPerModel-FreeTier`;
      return exhausted(p.model, metric, quotaId, r.limit, r.retryAfterMs);
    }
    case 'fault':
      switch (p.fault) {
        case 'rate-limit':
          return exhausted(
            p.model,
            'generate_content_free_tier_requests',
            'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            0,
            p.retryAfterMs ?? 1000,
          );
        case 'quota':
          return exhausted(
            p.model,
            'generate_content_free_tier_requests',
            'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
            0,
            p.retryAfterMs,
          );
        case 'unavailable':
        case 'overloaded':
          return error(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
        case 'bad-gateway':
          return error(502, 'UNAVAILABLE', 'Bad Gateway');
        default:
          return error(
            500,
            'INTERNAL',
            'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
          );
      }
  }
}

/** The Gemini API (`generativelanguage.googleapis.com`), as both Google SDKs call it. No rate-limit headers. */
export function createGeminiDialect(): Dialect {
  return {
    provider: 'gemini',
    apiKey: (req, url) => header(req, 'x-goog-api-key') ?? url.searchParams.get('key') ?? undefined,
    parseChat(body: unknown, url: URL): ChatRequest | string {
      const match = MODEL_PATH.exec(url.pathname);
      if (match === null) return 'unknown method';
      if (!isRecord(body)) return 'Invalid JSON payload received.';
      if (!Array.isArray(body.contents) || body.contents.length === 0)
        return '* GenerateContentRequest.contents: contents is not specified';
      const config = isRecord(body.generationConfig) ? body.generationConfig : {};
      return {
        model: decodeURIComponent(match[1] ?? ''),
        stream: match[2] === 'streamGenerateContent',
        includeUsage: true,
        inputTokens: estimateJsonTokensOf(body.contents, body.systemInstruction),
        maxTokens: intField(config.maxOutputTokens),
      };
    },
    // Gemini limits input tokens per minute; output is added once known.
    chargeUpFront: (request) => request.inputTokens,
    settle: (request, answer) => request.inputTokens + answer.outputTokens,
    limitHeaders: () => ({}),
    idHeaders: () => ({}),
    problem,
    chatBody: (answer) => geminiResponse(answer),
    streamFrames: (answer) => geminiFrames(answer),
  };
}

function estimateJsonTokensOf(...values: unknown[]): number {
  return values.reduce<number>((sum, v) => sum + estimateJsonTokens(v ?? ''), 0);
}

import Anthropic from '@anthropic-ai/sdk';
import { ApiError } from '@google/genai';
import {
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
} from '@google/generative-ai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { FailureClass } from '../../src/core/failure.js';
import { classifyError } from '../../src/providers/classify.js';

const now = Date.parse('2025-06-01T12:00:00Z');

type Generate = (status: number, body: object, headers: Headers) => unknown;

/** OpenAI and Groq keep the body's `error`; the same table runs on both SDKs. */
const openAIStyle: Array<[string, Generate]> = [
  ['openai', (s, b, h) => OpenAI.APIError.generate(s, b, undefined, h)],
  ['groq-sdk', (s, b, h) => Groq.APIError.generate(s, b, undefined, h)],
];

const oaBody = (message: string, type: string, code: string | null = null) => ({
  error: { message, type, param: null, code },
});

describe.each(openAIStyle)('classifyError with %s errors', (_sdk, generate) => {
  const cases: Array<[number, object, Record<string, string>, FailureClass, number | undefined]> = [
    [
      429,
      oaBody(
        'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3.',
        'requests',
        'rate_limit_exceeded',
      ),
      { 'retry-after': '2' },
      'rate-limited',
      2000,
    ],
    [
      429,
      oaBody(
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota',
        'insufficient_quota',
      ),
      {},
      'quota-exhausted',
      undefined,
    ],
    [
      401,
      oaBody('Incorrect API key provided: sk-a***z.', 'invalid_request_error', 'invalid_api_key'),
      {},
      'auth',
      undefined,
    ],
    [403, oaBody('Project does not have access', 'invalid_request_error'), {}, 'auth', undefined],
    [
      400,
      oaBody("'messages' must contain at least one message", 'invalid_request_error'),
      {},
      'bad-request',
      undefined,
    ],
    [
      404,
      oaBody('The model `x` does not exist', 'invalid_request_error', 'model_not_found'),
      {},
      'bad-request',
      undefined,
    ],
    [413, oaBody('Request too large', 'tokens', 'rate_limit_exceeded'), {}, 'bad-request', undefined],
    [422, oaBody('Unprocessable', 'invalid_request_error'), {}, 'bad-request', undefined],
    [408, oaBody('Request timeout', 'server_error'), {}, 'transient', undefined],
    [409, oaBody('Conflict', 'server_error'), {}, 'transient', undefined],
    [500, oaBody('The server had an error', 'server_error'), {}, 'transient', undefined],
    [502, oaBody('Bad gateway.', 'server_error'), {}, 'transient', undefined],
    [
      503,
      oaBody('The engine is currently overloaded', 'server_error'),
      { 'retry-after': '1' },
      'transient',
      1000,
    ],
  ];
  it.each(cases)('%d → %s', (status, body, headers, expected, retryAfterMs) => {
    const failure = classifyError(generate(status, body, new Headers(headers)), now);
    expect(failure.class).toBe(expected);
    expect(failure.status).toBe(status);
    expect(failure.retryAfterMs).toBe(retryAfterMs);
    expect(failure.message.startsWith(`${status} `)).toBe(true);
  });

  it('takes a 429 hint from retry-after-ms, the message, or the time an empty bucket takes to hold one unit', () => {
    const body = oaBody('Rate limit reached. Please try again in 1.5s.', 'tokens', 'rate_limit_exceeded');
    expect(
      classifyError(generate(429, body, new Headers({ 'retry-after-ms': '750' })), now).retryAfterMs,
    ).toBe(750);
    const resets = new Headers({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '6m0s',
      'x-ratelimit-remaining-tokens': '10',
      'x-ratelimit-reset-tokens': '9m0s',
    });
    // The message's own figure, not the 6 minutes until the bucket is full again.
    expect(classifyError(generate(429, body, resets), now).retryAfterMs).toBe(1500);
    expect(classifyError(generate(429, body, new Headers()), now).retryAfterMs).toBe(1500);
    // No figure in the message: the empty bucket's reset over its limit (a bucket refilled continuously,
    // full again in 6 minutes at 600 requests: one request back in 600 ms); without a limit, the reset.
    const bare = oaBody('Rate limit reached.', 'requests', 'rate_limit_exceeded');
    const withLimit = new Headers([...resets, ['x-ratelimit-limit-requests', '600']]);
    expect(classifyError(generate(429, bare, withLimit), now).retryAfterMs).toBe(600);
    expect(classifyError(generate(429, bare, resets), now).retryAfterMs).toBe(360_000);
  });
});

describe('classifyError with SDK connection and abort errors', () => {
  it.each([
    ['openai', new OpenAI.APIConnectionError({ message: 'Connection error.' }), 'transient'],
    ['openai timeout', new OpenAI.APIConnectionTimeoutError(), 'transient'],
    ['openai abort', new OpenAI.APIUserAbortError(), 'aborted'],
    ['anthropic', new Anthropic.APIConnectionError({ message: 'Connection error.' }), 'transient'],
    ['anthropic timeout', new Anthropic.APIConnectionTimeoutError(), 'transient'],
    ['anthropic abort', new Anthropic.APIUserAbortError(), 'aborted'],
    ['groq', new Groq.APIConnectionError({ message: 'Connection error.' }), 'transient'],
    ['groq abort', new Groq.APIUserAbortError(), 'aborted'],
    ['gemini abort', new GoogleGenerativeAIAbortError('Request aborted when fetching'), 'aborted'],
    [
      'gemini fetch failed',
      new GoogleGenerativeAIError('Error fetching from http://127.0.0.1:1/v1beta/models/x: fetch failed'),
      'transient',
    ],
  ] as const)('%s → %s', (_name, error, expected) => {
    const failure = classifyError(error, now);
    expect(failure.class).toBe(expected);
    expect(failure.status).toBeUndefined();
  });
});

describe('classifyError with @anthropic-ai/sdk errors', () => {
  const body = (type: string, message: string) => ({ type: 'error', error: { type, message } });
  const gen = (status: number, b: object, headers: Record<string, string> = {}) =>
    Anthropic.APIError.generate(status, b, undefined, new Headers(headers));
  it.each([
    [
      429,
      body('rate_limit_error', 'Number of requests has exceeded your rate limit.'),
      { 'retry-after': '4' },
      'rate-limited',
      4000,
    ],
    [529, body('overloaded_error', 'Overloaded'), {}, 'transient', undefined],
    [500, body('api_error', 'Internal server error'), {}, 'transient', undefined],
    [401, body('authentication_error', 'invalid x-api-key'), {}, 'auth', undefined],
    [403, body('permission_error', 'no access'), {}, 'auth', undefined],
    [400, body('invalid_request_error', 'max_tokens: Field required'), {}, 'bad-request', undefined],
    [
      400,
      body(
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing.',
      ),
      {},
      'quota-exhausted',
      undefined,
    ],
    [402, body('billing_error', 'payment required'), {}, 'quota-exhausted', undefined],
    [404, body('not_found_error', 'model: x'), {}, 'bad-request', undefined],
    [413, body('request_too_large', 'too large'), {}, 'bad-request', undefined],
  ] as const)('%d %s → %s', (status, b, headers, expected, retryAfterMs) => {
    const error = gen(status, b, headers);
    const failure = classifyError(error, now);
    expect(failure.class).toBe(expected);
    expect(failure.retryAfterMs).toBe(retryAfterMs);
    expect(failure.message).toContain(b.error.message.slice(0, 20));
  });

  it('is the SDK class one expects', () => {
    expect(gen(529, body('overloaded_error', 'Overloaded'))).toBeInstanceOf(Anthropic.InternalServerError);
  });
});

const retryInfo = (delay: string) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay: delay,
});
const quotaFailure = (quotaId: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [
    { quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId },
  ],
});
const geminiQuotaText =
  'You exceeded your current quota, please check your plan and billing details. Please retry in 1.68s.';

describe('classifyError with @google/generative-ai errors', () => {
  const fetchError = (status: number, message: string, details?: object[]) =>
    new GoogleGenerativeAIFetchError(
      `Error fetching from http://127.0.0.1:9/v1beta/models/m:generateContent?key=AIzaSECRET: [${status}] ${message}`,
      status,
      'status',
      details as never,
    );

  it('a per-minute quota 429 is rate-limited with RetryInfo as the hint', () => {
    const failure = classifyError(
      fetchError(429, geminiQuotaText, [
        quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'),
        retryInfo('1.68s'),
      ]),
      now,
    );
    expect(failure).toMatchObject({ class: 'rate-limited', status: 429, retryAfterMs: 1680 });
    expect(failure.message).not.toContain('AIzaSECRET');
    expect(failure.message).not.toContain('?');
  });

  it('a per-day quota 429 is quota-exhausted', () => {
    const failure = classifyError(
      fetchError(429, geminiQuotaText, [
        quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier'),
        retryInfo('3600s'),
      ]),
      now,
    );
    expect(failure).toMatchObject({ class: 'quota-exhausted', retryAfterMs: 3_600_000 });
  });

  it.each([
    [
      400,
      'API key not valid. Please pass a valid API key.',
      [{ '@type': 'x.ErrorInfo', reason: 'API_KEY_INVALID' }],
      'auth',
    ],
    [403, 'Permission denied', [], 'auth'],
    [400, '* GenerateContentRequest.contents: contents is not specified', [], 'bad-request'],
    [404, 'models/x is not found', [], 'bad-request'],
    [500, 'An internal error has occurred.', [], 'transient'],
    [503, 'The model is overloaded.', [], 'transient'],
  ] as const)('%d %s → %s', (status, message, details, expected) => {
    expect(classifyError(fetchError(status, message, [...details]), now).class).toBe(expected);
  });
});

describe('classifyError with @google/genai errors', () => {
  const apiError = (status: number, statusText: string, message: string, details: object[] = []) =>
    new ApiError({
      status,
      message: JSON.stringify({ error: { code: status, message, status: statusText, details } }),
    });

  it('reads the JSON body of the message', () => {
    const failure = classifyError(
      apiError(429, 'RESOURCE_EXHAUSTED', geminiQuotaText, [
        quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'),
        retryInfo('2s'),
      ]),
      now,
    );
    expect(failure).toMatchObject({ class: 'rate-limited', status: 429, retryAfterMs: 2000 });
    expect(failure.message).toBe(`429 ${geminiQuotaText}`);
  });

  it.each([
    [
      429,
      'RESOURCE_EXHAUSTED',
      [quotaFailure('GenerateContentInputTokensPerDayPerProjectPerModel')],
      'quota-exhausted',
    ],
    [400, 'INVALID_ARGUMENT', [{ '@type': 'x.ErrorInfo', reason: 'API_KEY_INVALID' }], 'auth'],
    [400, 'INVALID_ARGUMENT', [], 'bad-request'],
    [500, 'INTERNAL', [], 'transient'],
    [503, 'UNAVAILABLE', [], 'transient'],
  ] as const)('%d %s → %s', (status, statusText, details, expected) => {
    expect(classifyError(apiError(status, statusText, 'message', [...details]), now).class).toBe(expected);
  });
});

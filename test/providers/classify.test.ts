import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/providers/classify.js';

const now = Date.parse('2025-06-01T12:00:00Z');

function withCode(message: string, code: string, name = 'Error'): Error {
  return Object.assign(new Error(message), { code, name });
}

describe('classifyError on plain errors', () => {
  it.each([
    [
      'fetch failed TypeError',
      new TypeError('fetch failed', { cause: withCode('read ECONNRESET', 'ECONNRESET') }),
    ],
    ['undici socket', withCode('other side closed', 'UND_ERR_SOCKET', 'SocketError')],
    ['ETIMEDOUT', withCode('connect ETIMEDOUT 1.2.3.4:443', 'ETIMEDOUT')],
    ['terminated', new TypeError('terminated')],
    [
      'AbortSignal.timeout',
      Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
    ],
    [
      'nested cause',
      new Error('request failed', { cause: new Error('x', { cause: withCode('reset', 'ECONNRESET') }) }),
    ],
  ])('%s is transient', (_name, error) => {
    expect(classifyError(error, now)).toMatchObject({ class: 'transient', status: undefined });
  });

  it('an AbortError is aborted', () => {
    expect(classifyError(new DOMException('This operation was aborted', 'AbortError'), now).class).toBe(
      'aborted',
    );
  });

  it("the caller's own bugs are bad-request: never retried on another key", () => {
    expect(classifyError(new TypeError("Cannot read properties of undefined (reading 'x')"), now).class).toBe(
      'bad-request',
    );
    expect(classifyError(new SyntaxError('Unexpected token'), now).class).toBe('bad-request');
    expect(classifyError('a string', now)).toMatchObject({ class: 'bad-request', message: 'a string' });
    expect(classifyError(undefined, now).class).toBe('bad-request');
  });

  it('reads status from statusCode and response.status, headers from a record or response', () => {
    expect(classifyError({ statusCode: 503, message: 'unavailable' }, now)).toMatchObject({
      class: 'transient',
      status: 503,
    });
    expect(
      classifyError(
        { message: 'x', response: { status: 429, headers: new Headers({ 'retry-after': '5' }) } },
        now,
      ),
    ).toMatchObject({ class: 'rate-limited', status: 429, retryAfterMs: 5000 });
    expect(
      classifyError(
        { status: 429, headers: { 'Retry-After': 'Sun, 01 Jun 2025 12:00:10 GMT' }, message: 'slow' },
        now,
      ),
    ).toMatchObject({ class: 'rate-limited', retryAfterMs: 10_000 });
  });

  it('a Retry-After that only rounds an empty bucket’s reset up to a second gives way to the reset', () => {
    const at429 = (headers: Record<string, string>) =>
      classifyError({ status: 429, headers, message: 'Rate limit reached' }, now).retryAfterMs;
    const empty = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '150ms' };
    expect(at429({ ...empty, 'retry-after': '1' })).toBe(150);
    // A longer Retry-After says more than rounding: it stands.
    expect(at429({ ...empty, 'retry-after': '20' })).toBe(20_000);
    // Fractional ms are exact already; a bucket not empty says nothing of when the next send may go.
    expect(at429({ ...empty, 'retry-after-ms': '900', 'retry-after': '1' })).toBe(900);
    expect(
      at429({
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-reset-requests': '150ms',
        'retry-after': '1',
      }),
    ).toBe(1000);
  });

  it('treats every status of the table', () => {
    const cls = (status: number) => classifyError({ status, message: 'm' }, now).class;
    expect([429, 401, 403, 402, 408, 409, 500, 502, 503, 504, 529, 400, 404, 413, 422].map(cls)).toEqual([
      'rate-limited',
      'auth',
      'auth',
      'quota-exhausted',
      'transient',
      'transient',
      'transient',
      'transient',
      'transient',
      'transient',
      'transient',
      'bad-request',
      'bad-request',
      'bad-request',
      'bad-request',
    ]);
  });

  it('keeps the message short, on one line, with no URL query or bearer token', () => {
    const long = `Error fetching from https://api.example.com/v1/x?key=AIzaSyVERYSECRET&alt=sse: Bearer sk-secret-value\n${'x'.repeat(500)}`;
    const { message } = classifyError({ status: 500, message: long }, now);
    expect(message.length).toBeLessThanOrEqual(204);
    expect(message).not.toContain('AIzaSyVERYSECRET');
    expect(message).not.toContain('sk-secret-value');
    expect(message).not.toContain('\n');
    expect(message).toContain('https://api.example.com/v1/x');
  });
});

import { describe, expect, it } from 'vitest';
import {
  msUntil,
  parseGoDuration,
  parseProtoDuration,
  parseRetryAfter,
} from '../../src/providers/wire-values.js';

describe('parseGoDuration', () => {
  it.each([
    ['12ms', 12],
    ['1.5s', 1500],
    ['6m0s', 360_000],
    ['2h3m4.5s', 7_384_500],
    ['0s', 0],
    ['0', 0],
    ['59.999s', 59_999],
    ['1m30s', 90_000],
    ['500us', 0.5],
    ['250ns', 0.00025],
    ['7.66s', 7660],
    ['1h', 3_600_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', 'abc', '5', '1x', '1.5', 's', '-1s', '1s junk'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('parseProtoDuration', () => {
  it.each([
    ['1.68s', 1680],
    ['30s', 30_000],
    ['0s', 0],
    ['0.5s', 500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseProtoDuration(text)).toBe(ms);
  });
  it('rejects other forms', () => {
    expect(parseProtoDuration('1m')).toBeUndefined();
    expect(parseProtoDuration('')).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });
  it('reads an HTTP date relative to now, 0 when past', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });
  it('rejects garbage', () => {
    expect(parseRetryAfter('soon-ish?', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
  });
});

describe('msUntil', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('turns an RFC 3339 instant into ms from now', () => {
    expect(msUntil('2025-01-01T00:00:12Z', now)).toBe(12_000);
    expect(msUntil('2025-01-01T00:00:00.250Z', now)).toBe(250);
    expect(msUntil('2024-12-31T23:59:59Z', now)).toBe(0);
    expect(msUntil('nope', now)).toBeUndefined();
  });
});

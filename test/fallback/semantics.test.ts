import { describe, expect, it } from 'vitest';
import { actionFor, type FailureKind, listFor } from '../../src/fallback/semantics.js';

const WAIT = 2000;

/** The README's table, row by row: failure, keys' readiness, attempts left → action (and list). */
const ROWS: ReadonlyArray<[FailureKind, number | undefined, boolean, 'wait' | 'fallback' | 'throw']> = [
  ['rate-limited', 1500, true, 'wait'],
  ['rate-limited', 2000, true, 'wait'],
  ['rate-limited', 2001, true, 'fallback'],
  ['rate-limited', undefined, true, 'fallback'],
  ['quota-exhausted', 0, true, 'fallback'],
  ['quota-exhausted', 100, true, 'fallback'],
  ['auth', 100, true, 'fallback'],
  ['no-key', undefined, true, 'fallback'],
  ['transient', 100, true, 'wait'],
  ['transient', 100, false, 'fallback'],
  ['transient', 60_000, true, 'fallback'],
  ['context-window', 0, true, 'fallback'],
  ['content-policy', 0, true, 'fallback'],
  ['bad-request', 0, true, 'throw'],
  ['aborted', 0, true, 'throw'],
];

describe('actionFor: the semantics table', () => {
  it.each(ROWS)('%s, ready in %s ms, attempts left %s → %s', (failure, readyInMs, attemptsLeft, action) => {
    expect(actionFor(failure, { readyInMs, maxWaitMs: WAIT, attemptsLeft })).toBe(action);
  });

  it('sends prompt refusals to their own lists only', () => {
    expect(listFor('context-window')).toBe('contextWindowFallbacks');
    expect(listFor('content-policy')).toBe('contentPolicyFallbacks');
    for (const other of ['rate-limited', 'quota-exhausted', 'auth', 'no-key', 'transient'] as const) {
      expect(listFor(other)).toBe('fallbacks');
    }
  });
});

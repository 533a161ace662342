import type { FaultSpec } from '../../src/emulator/index.js';

/**
 * The faults of a soak run, one line each: add a line to add a fault (any `FaultSpec` the emulator
 * knows). Rates are per request; `key` names target one key. Keep the total well under 1 so that
 * jobs can still succeed within their retries.
 */
export function soakFaults(keyName: (i: number) => string): FaultSpec[] {
  return [
    { kind: 'rate-limit', rate: 0.03 }, // 429 with the provider's rate-limit headers as the hint
    { kind: 'server-error', rate: 0.03 }, // 500
    { kind: 'unavailable', rate: 0.01 }, // 503
    { kind: 'overloaded', rate: 0.01 },
    { kind: 'reset', rate: 0.01 }, // connection destroyed before any byte
    { kind: 'hang', rate: 0.002 }, // black hole: only the job's deadline ends it
    { kind: 'cut', rate: 0.02, cutAfterChunks: 2 }, // streams cut after 2 chunks (a whole answer is cut too)
    { kind: 'malformed-json', rate: 0.003 },
    { kind: 'html', rate: 0.003 }, // a proxy's HTML error page
    { kind: 'quota', key: keyName(1) }, // a key whose quota is spent
  ];
}

import { randomBytes } from 'node:crypto';
import { type EmulatorOptions, type Ledger, startEmulator } from '../../emulator/index.js';
import type { ProviderKit } from './kits/provider-kit.js';

export interface TargetKey {
  readonly name: string;
  readonly apiKey: string;
}

/** Where a run's requests go: a fresh emulator, or the real provider. */
export interface BenchTarget {
  readonly kind: 'emulator' | 'provider';
  readonly baseURL: string | undefined;
  readonly keys: readonly TargetKey[];
  /** The provider's own record of every request, when the target is the emulator. */
  readonly ledger: Ledger | undefined;
  close(): Promise<void>;
}

export interface EmulatorSettings {
  readonly keys: number;
  readonly rpm: number;
  readonly tpm: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  /** Seconds of traffic the provider lets through at once; real providers enforce over short periods. */
  readonly burstSeconds: number;
  readonly seed: number;
  /** Strict limits: GCRA buckets of `strictBurst` requests per key, as OpenAI enforces (replaces `burstSeconds`). */
  readonly strict?: boolean;
  /** @default 2 */
  readonly strictBurst?: number;
  /** An outage of this many ms, `outageAtMs` (default 1000) after each run's emulator starts. */
  readonly outageMs?: number | undefined;
  readonly outageAtMs?: number;
  /** Overload above this many requests in flight per key, with `overloadErrorRate` and `overloadLatencyFactor`. */
  readonly overloadAbove?: number | undefined;
  readonly overloadErrorRate?: number;
  readonly overloadLatencyFactor?: number;
  /** The first request of the first key is answered 429 with Retry-After 1 s. */
  readonly faultAtStart?: boolean;
}

/** The scripted 429 of `--fault-at-start`, on the bench's first key. */
export const FAULT_AT_START = { key: 'key-0', retryAfterMs: 1000 } as const;

function modes(s: EmulatorSettings): Pick<EmulatorOptions, 'outages' | 'overload' | 'scripts'> {
  return {
    ...(s.faultAtStart
      ? { scripts: { [FAULT_AT_START.key]: [{ status: 429, retryAfterMs: FAULT_AT_START.retryAfterMs }] } }
      : {}),
    ...(s.outageMs === undefined
      ? {}
      : { outages: [{ atMs: s.outageAtMs ?? 1000, durationMs: s.outageMs }] }),
    ...(s.overloadAbove === undefined
      ? {}
      : {
          overload: {
            aboveConcurrent: s.overloadAbove,
            errorRate: s.overloadErrorRate ?? 0.5,
            latencyFactor: s.overloadLatencyFactor ?? 2,
          },
        }),
  };
}

/**
 * A fresh emulator for one run, so no run inherits another's half-empty buckets or ledger.
 * Its burst is a second's worth of each limit: OpenAI documents that a per-minute limit may be enforced
 * over shorter periods, and with a whole minute of burst a short benchmark would measure the burst.
 */
export async function emulatorTarget(kit: ProviderKit, s: EmulatorSettings): Promise<BenchTarget> {
  const secret = randomBytes(6).toString('hex');
  const keys = Array.from({ length: s.keys }, (_, i) => ({
    name: `key-${i}`,
    apiKey: `sk-bench-${secret}-${i}`,
  }));
  const emulator = await startEmulator({
    keys: keys.map((k) => ({ key: k.apiKey, name: k.name })),
    defaultLimits: s.strict
      ? { rpm: s.rpm, tpm: s.tpm, strict: true, burst: s.strictBurst ?? 2 }
      : {
          rpm: s.rpm,
          tpm: s.tpm,
          burst: Math.max(1, Math.round((s.rpm / 60) * s.burstSeconds)),
          tokenBurst: Math.max(1, Math.round((s.tpm / 60) * s.burstSeconds)),
        },
    ...modes(s),
    latency: { kind: 'uniform', minMs: s.latencyMinMs, maxMs: s.latencyMaxMs },
    seed: s.seed,
  });
  return {
    kind: 'emulator',
    baseURL: kit.emulatorBaseURL(emulator.url),
    keys,
    ledger: emulator.ledger,
    close: () => emulator.close(),
  };
}

/** The real provider, with the keys found in the environment. */
export function providerTarget(keys: readonly TargetKey[], baseURL: string | undefined): BenchTarget {
  return { kind: 'provider', baseURL, keys, ledger: undefined, close: async () => {} };
}

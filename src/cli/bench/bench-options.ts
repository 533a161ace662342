import type { BuiltinProvider, Strategy } from '../../config/options.js';

export type LimitsMode = 'configured' | 'learned' | 'both';

export type Arrival = 'stream' | 'batch';

/** Everything `keymux bench` was asked for, validated by the command's parsers. */
export interface BenchOptions {
  readonly provider: BuiltinProvider;
  /** Run on the emulator even when real keys are in the environment. */
  readonly emulator: boolean;
  readonly keys: number;
  readonly rpm: number;
  readonly tpm: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  readonly burstSeconds: number;
  /** Emulator modes (see `EmulatorSettings`); all off by default. */
  readonly strict?: boolean;
  readonly strictBurst?: number;
  readonly outageMs?: number | undefined;
  readonly outageAtMs?: number;
  readonly overloadAbove?: number | undefined;
  readonly overloadErrorRate?: number;
  readonly overloadLatencyFactor?: number;
  /** Emulator fault: the first request of the first key is answered 429 with Retry-After 1 s. */
  readonly faultAtStart?: boolean;
  readonly jobs: number;
  /** Jobs outstanding at once; undefined: enough for every key's slots (see `outstandingJobs`). */
  readonly concurrency: number | undefined;
  /** keymux's slots per key, one keymux run per setting: `'auto'` adapts, a number pins. */
  readonly maxConcurrent: ReadonlyArray<number | 'auto'>;
  readonly strategies: readonly Strategy[];
  /** undefined: configured on the emulator, learned against a real provider. */
  readonly limits: LimitsMode | undefined;
  /** Run the single-key and naive-rotation baselines before keymux (the default). */
  readonly baselines?: boolean;
  readonly singleKeySeconds: number;
  /** Any run still going after this long stops taking jobs. */
  readonly runTimeoutSeconds: number;
  readonly seed: number;
  /** Hard caps against a real provider, over the whole bench. */
  readonly maxRequests: number;
  readonly maxTokens: number;
  readonly json: string | undefined;
  readonly report: string | undefined;
  /** keymux's runs keep their keys' state in this Redis (each run under its own prefix). */
  readonly redis?: string | undefined;
  /** Run keymux in this many OS processes on the same keys (Redis shared, then memory alone). */
  readonly processes?: number | undefined;
  /**
   * How jobs are submitted: `stream` (the default) keeps `concurrency` outstanding; `batch` submits every
   * job at once (a `Promise.all` over the items), and with `processes`, each process its whole share.
   */
  readonly arrival?: Arrival | undefined;
  /** With `processes`: stop the bench's own Redis this many seconds into each shared run… */
  readonly redisOutageAtSeconds?: number | undefined;
  /** …for this many ms, then start it again. */
  readonly redisOutageMs?: number | undefined;
  readonly progress: boolean;
}

export const BENCH_DEFAULTS = {
  provider: 'openai',
  keys: 5,
  rpm: 600,
  tpm: 60_000,
  latency: '100-300',
  burstSeconds: 1,
  strictBurst: 2,
  outageAtMs: 1000,
  redisOutageAtSeconds: 10,
  overloadErrorRate: 0.5,
  overloadLatencyFactor: 2,
  jobs: 2000,
  maxConcurrent: 'auto',
  strategies: 'least-loaded',
  singleKeySeconds: 15,
  runTimeoutSeconds: 300,
  seed: 1,
  maxRequests: 30,
  maxTokens: 10_000,
} as const;

/** The providers whose wire formats the emulator speaks. */
export type ProviderName = 'openai' | 'groq' | 'anthropic' | 'gemini';

/** A key the emulator accepts. Only `name` ever appears in the ledger; `key` is a secret. */
export interface EmulatorKey {
  /** The value clients send (`Authorization: Bearer …`, `x-api-key`, `x-goog-api-key`). */
  readonly key: string;
  /** The label the ledger uses. @default `key-<index>` */
  readonly name?: string;
  /** The quota pool the key draws from; keys naming the same pool share its limits. @default its name */
  readonly pool?: string;
  /** Restricts the key to one provider's routes (others answer 401). @default every provider */
  readonly provider?: ProviderName;
}

/** Limits of one quota pool. A missing limit is unlimited, except where `defaultLimits` fills it in. */
export interface PoolLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Tokens per minute, counted the provider's way (see README of the emulator). */
  readonly tpm?: number;
  /** Requests per day. */
  readonly rpd?: number;
  /** Tokens per day. */
  readonly tpd?: number;
  /** Requests in flight at once; the next one gets a 429. */
  readonly concurrency?: number;
  /**
   * Capacity of the per-minute request bucket: how many requests may arrive at once. In strict mode, the
   * capacity of every request bucket (rpm and rpd). @default rpm; 2 when `strict`
   */
  readonly burst?: number;
  /** Capacity of the per-minute token bucket (in strict mode, of both token buckets). @default tpm; strict: burst × tpm / rpm */
  readonly tokenBurst?: number;
  /**
   * Strict mode, as providers enforce limits: every limit (rpm, tpm, rpd, tpd) is a continuously refilled
   * GCRA bucket holding a burst of `burst` requests, `remaining` counts what the bucket holds (it reaches 0),
   * `reset` is the time until the bucket is full again, and a 429 reports `remaining: 0` for the limit it
   * is about. @default false
   */
  readonly strict?: boolean;
  /**
   * Each model has its own buckets (rpm, tpm, rpd, tpd), as OpenAI, Groq and Gemini count limits per model
   * and Anthropic per model class (see `modelScope`): a request's headers and 429s are about its model's
   * buckets only. `false`: one set of buckets for every model of the pool. The concurrency cap is the
   * pool's either way. @default true
   */
  readonly perModel?: boolean;
}

/** How long the emulator takes to answer. */
export type LatencySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'per-token'; readonly firstTokenMs: number; readonly perTokenMs: number };

/** Faults the emulator can inject instead of (or in the middle of) a normal answer. */
export type FaultKind =
  | 'server-error' // 500
  | 'bad-gateway' // 502
  | 'unavailable' // 503
  | 'overloaded' // the provider's overload answer: Anthropic 529 overloaded_error, the others 503
  | 'rate-limit' // 429 whatever the pool's state
  | 'quota' // quota/billing: OpenAI 429 insufficient_quota, Gemini 429 per-day, Anthropic 400 credit balance
  | 'reset' // the connection is destroyed before any response byte
  | 'cut' // the response starts, then the connection is destroyed mid-body
  | 'hang' // no response at all until the client gives up or the emulator closes
  | 'malformed-json' // 200 with a truncated JSON body
  | 'html' // an HTML error page from a "proxy" (status 502 unless given)
  | 'stall' // the answer starts, sends `stallAfterChunks` chunks, then nothing: the socket stays open
  | 'unauthorized' // the provider's invalid-key answer (401; Gemini 400 API_KEY_INVALID), for a known key
  | 'context-window' // 400: the prompt is longer than the model's context window, in the provider's words
  | 'content-policy'; // 400: the prompt refused under the provider's content policy (OpenAI's safety system)

/** When and to whom a fault happens. Every condition given must hold. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Only requests of the key with this name. @default every key */
  readonly key?: string;
  /** Only requests on this provider's routes. @default every provider */
  readonly provider?: ProviderName;
  /** Only requests for this model (the body's `model`, Gemini's path). @default every model */
  readonly model?: string;
  /** Probability that a matching request gets the fault (drawn from the seeded random). @default 1 */
  readonly rate?: number;
  /** The fault is spent after firing this many times. @default unlimited */
  readonly count?: number;
  /** Lets the first `skip` matching requests through untouched. @default 0 */
  readonly skip?: number;
  /** Fires on every `every`-th matching request only. @default 1 */
  readonly every?: number;
  /** Active from this emulator time (ms since start). @default 0 */
  readonly fromMs?: number;
  /** Active until this emulator time (ms since start, excluded). @default forever */
  readonly untilMs?: number;
  /** For `cut`: body chunks (SSE frames) sent before the cut. @default 2 */
  readonly cutAfterChunks?: number;
  /** The HTTP status to send instead (the body stays the provider's), e.g. 529 on OpenAI. @default per kind; `html` 502 */
  readonly status?: number;
  /** For `stall`: body chunks (SSE frames) sent before the stream goes silent. @default 2 */
  readonly stallAfterChunks?: number;
  /**
   * A wait hint on a status fault: `retry-after` in whole seconds (rounded up) on every provider, and for
   * Gemini a `google.rpc.RetryInfo` detail. Without it, `quota` sends no hint; `rate-limit` sends the
   * provider's default. @default none
   */
  readonly retryAfterMs?: number;
  /** Extra response headers on a status fault (after the provider's own). @default none */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A provider that struggles under load on one key (issue 13's fault mode). */
export interface OverloadSpec {
  /** Requests in flight on one key (this one included) above which the key struggles. */
  readonly aboveConcurrent: number;
  /** Latency multiplier for requests above the threshold. @default 2 */
  readonly latencyFactor?: number;
  /** Fraction of requests above the threshold that fail (seeded draw). @default 0.5 */
  readonly errorRate?: number;
  /** How they fail: `overloaded` is Anthropic's 529 and a 503 elsewhere. @default 'overloaded' */
  readonly kind?: 'overloaded' | 'unavailable' | 'server-error' | 'bad-gateway';
  /** Only this key. @default every key, each counted on its own */
  readonly key?: string;
}

/** The JSON-serializable part of the options (what `keymux emulate --config` reads). */
export interface EmulatorConfig {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly keys: readonly EmulatorKey[];
  /** Limits per pool name; pools not listed get `defaultLimits`. */
  readonly pools?: Readonly<Record<string, PoolLimits>>;
  /** Limits filling in whatever a pool leaves out. @default { rpm: 500, tpm: 200000 } */
  readonly defaultLimits?: PoolLimits;
  /** @default { kind: 'none' } */
  readonly latency?: LatencySpec;
  /** Output length range, capped by the request's max tokens. @default { min: 5, max: 20 } */
  readonly outputTokens?: { readonly min: number; readonly max: number };
  /** Seeds latency, output and fault draws. @default 1 */
  readonly seed?: number;
  readonly faults?: readonly FaultSpec[];
  /** Length of embedding vectors when the request gives no `dimensions`. @default 64 */
  readonly embeddingDimensions?: number;
  /** Per key name, a script of answers consumed request by request, e.g. `{ b: [503, 503, 429, 200] }`. @default none */
  readonly scripts?: Readonly<Record<string, readonly ScriptStep[]>>;
  /** Latency and 5xx above N concurrent requests per key. @default none */
  readonly overload?: OverloadSpec;
  /** Outages on wall-clock timers from start: the endpoint refuses connections for a while. @default none */
  readonly outages?: readonly OutageSpec[];
  /** The Batch APIs (OpenAI Files and Batches, Anthropic Message Batches): their pace and line faults. */
  readonly batches?: BatchSpec;
}

/**
 * How the emulated Batch APIs behave. Durations are provider time; `timeScale` provider milliseconds pass
 * per emulator millisecond, so `timeScale: 3600` runs an hour in a second and a 24 h window in 24 s.
 */
export interface BatchSpec {
  /** Provider ms per emulator ms. @default 1 */
  readonly timeScale?: number;
  /** OpenAI's `validating` phase. @default 1000 */
  readonly validatingMs?: number;
  /** From `in_progress` until every line is done (lines finish evenly spread over it). @default 60000 */
  readonly processingMs?: number;
  /** OpenAI's `finalizing` phase; also how long `cancelling`/`canceling` lasts. @default 1000 */
  readonly finalizingMs?: number;
  /** Fraction of lines answered with a 500 (an error-file line; Anthropic `errored`), seeded. @default 0 */
  readonly failRate?: number;
  /**
   * Fraction of lines left undone when the window closes (OpenAI `batch_expired` in the error file and
   * the batch `expired`; Anthropic `expired`), seeded. @default 0
   */
  readonly expireRate?: number;
}

export interface EmulatorOptions extends EmulatorConfig {
  /** The emulator's time source (ms). Inject one to test a minute of traffic in a millisecond. @default Date.now */
  readonly now?: () => number;
}

/**
 * One step of a key's script: a status (`200` answers normally, `429` is a rate limit, `503` unavailable …)
 * or a fault with its details, e.g. `{ status: 429, retryAfterMs: 2000 }` or `{ kind: 'cut', cutAfterChunks: 1 }`.
 */
export type ScriptStep =
  | number
  | {
      /** The status to answer; with `kind`, it overrides the kind's status. @default per kind */
      readonly status?: number;
      /** The fault to answer with. @default from `status` (see `faultForStatus`) */
      readonly kind?: FaultKind;
      readonly retryAfterMs?: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly cutAfterChunks?: number;
      readonly stallAfterChunks?: number;
    };

/** A scheduled outage: from `atMs` after the emulator started, for `durationMs` (wall-clock timers). */
export interface OutageSpec {
  /** When it starts, ms after `startEmulator` resolved (real time, not the `now` option). */
  readonly atMs: number;
  /** How long the endpoint refuses connections. */
  readonly durationMs: number;
}

import type { Clock } from '../core/clock.js';
import type { KeyStateStore } from '../core/key-state-store.js';
import type { Logger } from '../core/logger.js';
import type { BudgetOptions } from '../spend/budget-config.js';
import type { PriceOverrides } from '../spend/prices.js';
import type { BatchOffloadOptions } from './offload-options.js';
import type { Shares } from './shares.js';

export type { Logger };

/**
 * How a job picks its key among those that can start it now (a free slot, its rate limits allow a send,
 * healthy, not cooling down, not held back by another process); a job waits in its pool until one can:
 * - `round-robin`: the next such key after the one picked last, in the order the keys were added;
 * - `random`: any of them, uniformly;
 * - `lru`: the one given a job least recently;
 * - `least-used`: the one given the fewest jobs so far (ties: the one given a job least recently);
 * - `least-loaded`: the lowest (queued + in flight) / slots (one slot while a key's limits are being
 *   learned); ties by the most rate-limit headroom, then the one given a job least recently. Above 64
 *   keys, the best of a random sample of up to 8 of them;
 * - `weighted`: at random, in proportion to `weight` × health score (0–100, counted as at least 1);
 * - `specific`: the key named by `keyName` (in `CallOptions`), and no other.
 *
 * @example
 * ```ts
 * const openai = mux.getOpenAIClient('least-loaded');
 * const pinned = mux.getOpenAIClient({ strategy: 'specific', keyName: 'team-a' });
 * ```
 */
export type Strategy =
  | 'specific'
  | 'round-robin'
  | 'random'
  | 'lru'
  | 'least-used'
  | 'least-loaded'
  | 'weighted';

/** Every strategy name, in the order they are documented. */
export const STRATEGIES: readonly Strategy[] = [
  'specific',
  'round-robin',
  'random',
  'lru',
  'least-used',
  'least-loaded',
  'weighted',
];

/** The built-in providers; any other name works with `registerProvider` and `execute`. */
export type BuiltinProvider = 'openai' | 'anthropic' | 'gemini' | 'groq';

/**
 * A key's (or a quota group's) limits, as the provider's console shows them. Minute limits are paced
 * continuously (one request every 60 s / rpm), so a key never bursts into a 429 at a window's edge; day
 * limits are counted over a sliding 24 h window. A limit left out is learned from the provider's
 * rate-limit headers when it sends them.
 *
 * @example
 * ```ts
 * mux.addOpenAIKey('team-a', process.env.OPENAI_KEY_A!, { limits: { rpm: 500, tpm: 200_000 } });
 * ```
 */
export interface RateLimits {
  /**
   * Requests per minute.
   * @default none: learned from the provider's headers when it sends them
   */
  readonly rpm?: number;
  /**
   * Tokens (input + output) per minute.
   * @default none: learned from the provider's headers when it sends them
   */
  readonly tpm?: number;
  /**
   * Requests per day.
   * @default none: learned from the provider's headers when it sends them
   */
  readonly rpd?: number;
  /**
   * Tokens per day.
   * @default none: learned from the provider's headers when it sends them
   */
  readonly tpd?: number;
}

/**
 * One key, for `addKey` (and the third argument of `addOpenAIKey` and its siblings, without `apiKey`).
 *
 * @example
 * ```ts
 * mux.addKey('openai', {
 *   name: 'org-2',
 *   apiKey: process.env.OPENAI_KEY_ORG2!,
 *   limits: { rpm: 500, tpm: 200_000 },
 *   quotaGroup: 'org-2',
 * });
 * ```
 */
export interface KeyOptions {
  /** The secret. Held in a private field: logs, errors, events and stats show only its masked label. */
  readonly apiKey: string;
  /**
   * The key's name in stats, events and `keyName`; unique within its provider.
   * @default `${provider}-${n}`, n counting the provider's keys from 0 (`openai-0`, `openai-1`, …)
   */
  readonly name?: string;
  /**
   * Relative share of the jobs under the `weighted` strategy (`priority` in a config file): a key of
   * weight 2 gets about twice the jobs of a key of weight 1.
   * @default 1
   */
  readonly weight?: number;
  /**
   * The key's limits. Leave them out to learn them from the provider's rate-limit headers.
   * @default none: learned from the headers
   */
  readonly limits?: RateLimits;
  /**
   * Requests in flight at once on this key: a number pins it, `'auto'` adapts it.
   * @default the multiplexer's `maxConcurrentRequests`
   */
  readonly maxConcurrentRequests?: number | 'auto';
  /**
   * Jobs waiting on this key beyond those in flight; past it, the job goes to another key or fails with
   * `QueueFullError`.
   * @default the multiplexer's `queueSize`
   */
  readonly queueSize?: number;
  /**
   * The model this key is meant for. Informational: keymux keeps it and never adds it to requests.
   * @default none
   */
  readonly model?: string;
  /**
   * Base URL for this key's SDK client: a proxy, a gateway, a regional endpoint or a local emulator.
   * @default the SDK's own
   */
  readonly baseURL?: string;
  /**
   * Labels of your own; keymux checks that they are strings and does nothing else with them.
   * @default []
   */
  readonly tags?: readonly string[];
  /**
   * A disabled key takes no jobs until `enableKey` is called.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Keys with the same group share their rate buckets: the provider counts the keys of one organization
   * or project against one quota.
   * @default none: the key has buckets of its own
   */
  readonly quotaGroup?: string;
}

/** Fallbacks by model: `{ [model]: ['other-model', 'provider/model'] }`. */
export type FallbackMap = Readonly<Record<string, readonly string[]>>;

/**
 * Options of `new Multiplexer(options)`. Every one is optional and checked when the multiplexer is made:
 * a bad value throws a `ConfigError` that names the option.
 *
 * @example
 * ```ts
 * const mux = new Multiplexer({
 *   strategy: 'least-loaded',
 *   maxConcurrentRequests: 8,
 *   maxRetries: 3,
 *   logger: pino(),
 * });
 * ```
 */
export interface MultiplexerOptions {
  /**
   * Requests in flight at once on each key (a key's own `maxConcurrentRequests` overrides it). A number
   * pins it. `'auto'` starts each key at 5 slots and adapts: it grows toward what the key's rate limit ×
   * its observed latency needs (Little's law), up to `maxConcurrencyCeiling`, while latency stays near
   * its floor; it shrinks on 5xx answers, timeouts and rising latency. 429s are left to the rate limits.
   * @default 'auto'
   *
   * @example
   * ```ts
   * new Multiplexer({ maxConcurrentRequests: 'auto', maxConcurrencyCeiling: 64 });
   * new Multiplexer({ maxConcurrentRequests: 8 }); // exactly 8 per key
   * ```
   */
  readonly maxConcurrentRequests?: number | 'auto';
  /**
   * Jobs waiting on each key beyond those in flight. When every eligible key's queue is full, a new job
   * fails at once with `QueueFullError`.
   * @default 100
   */
  readonly queueSize?: number;
  /**
   * A key's first backoff delay after a failure, in ms; each further consecutive failure multiplies it
   * by `backoffFactor`, up to `maxRetryDelay`. The job itself moves to another key at once.
   * @default 1000
   */
  readonly initialRetryDelay?: number;
  /**
   * Growth of a key's backoff delay with each consecutive failure.
   * @default 2
   */
  readonly backoffFactor?: number;
  /**
   * Longest backoff delay of a key, in ms.
   * @default 60000
   */
  readonly maxRetryDelay?: number;
  /**
   * Attempts of one job, across keys, before it fails with the last attempt's error.
   * @default 5
   */
  readonly maxRetries?: number;
  /**
   * Consecutive failures of a key that open its circuit breaker: the key rests, out of rotation, for
   * `breakerBaseMs` (longer on each re-opening, up to `cooldownMs`), then is tried again.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Longest time an open circuit stays open, in ms (see `breakerBaseMs`).
   * @default 300000
   */
  readonly cooldownMs?: number;
  /**
   * How long a key rests after a 429 that says nothing of when to retry (no `Retry-After` or reset
   * header), in ms.
   * @default 60000
   *
   * @example
   * ```ts
   * // A provider whose 429s last a few seconds:
   * new Multiplexer({ rateLimitCooldownMs: 5_000 });
   * ```
   */
  readonly rateLimitCooldownMs?: number;
  /**
   * Every this many ms, re-check the keys held out (unavailable, exhausted, circuit open) and the
   * healthy keys that saw no traffic, with each provider's cheapest authenticated call; a key that
   * passes is revived. 0 (or unset) is off: no traffic the caller did not ask for. At most 2³¹−1
   * (what a timer can wait).
   * @default 0
   * @example
   * ```ts
   * new Multiplexer({ healthCheckInterval: 60_000 }); // or KEYMUX_HEALTH_CHECK_INTERVAL=60000
   * ```
   */
  readonly healthCheckInterval?: number;
  /**
   * How long an open circuit stays open the first time, in ms; each consecutive re-opening adds as much
   * again (base × n), up to `cooldownMs`.
   * @default 10000
   */
  readonly breakerBaseMs?: number;
  /**
   * At most this percent of a provider's keys are held out by their breakers at once. When more keys
   * fail, the fault is the provider's: the keys stay in rotation under backoff and the pool emits
   * `pool-degraded` (then `pool-recovered`).
   * @default 50
   */
  readonly maxEjectedPercent?: number;
  /**
   * Deadline of one attempt on one key, in ms (for a stream: until its response arrives). An attempt
   * past it is a failure of that key (like a 5xx): the job moves to another key. `Infinity` for none.
   * @default 180000
   */
  readonly attemptTimeoutMs?: number;
  /**
   * Priority ageing: a queued job gains one priority level per this many ms of waiting, relative to jobs
   * queued after it, so a lower priority is delayed, never starved.
   * @default 1000
   */
  readonly priorityAgingMs?: number;
  /**
   * A stream from a wrapped client that has given its reader no chunk for this long is ended and its
   * slot released, in ms. With a read pending (the provider stalled) it counts as a transient failure
   * of the key; with none (the caller stopped reading) it does not. Always finite: it is what frees the slot.
   * @default 60000
   */
  readonly streamIdleTimeoutMs?: number;
  /**
   * Longest wait from the start of a stream's request to its first chunk, in ms; past it the attempt
   * is aborted, counted as a transient failure of the key, and the job fails over. Always finite.
   * @default 30000
   */
  readonly streamFirstByteTimeoutMs?: number;
  /**
   * The most slots `maxConcurrentRequests: 'auto'` gives one key.
   * @default 256
   */
  readonly maxConcurrencyCeiling?: number;
  /**
   * Where the keys' shared state lives (rate schedules, learned limits, cooldowns, breaker and probe):
   * `memoryStore()` for one process, `redisStore({ client })` for many processes on one set of keys.
   * @default memoryStore()
   */
  readonly store?: KeyStateStore;
  /**
   * Model prices in USD per million tokens, over the built-in, versioned table (see docs/spend.md):
   * `{ 'my-finetune': { input: 3, output: 12, cachedInput: 0.3 } }`. A model in neither has an unknown
   * cost (`null`, never 0).
   * @default {}
   */
  readonly prices?: PriceOverrides;
  /**
   * Spending limits, in USD or tokens, per calendar period in UTC: each call's worst case is reserved
   * against every budget that covers it before it is sent (`BudgetExceededError` when one would be
   * crossed) and settled to its real cost after the answer.
   * @default []
   */
  readonly budgets?: readonly BudgetOptions[];
  /**
   * Batch offload (docs/batch-offload.md): calls whose `deadline` is at least `minDeadline` away go to
   * the provider's Batch API (OpenAI, Anthropic) at batch prices, collected per provider and model.
   * @default off
   */
  readonly batchOffload?: BatchOffloadOptions;
  /**
   * Models to try, in order, when a model cannot serve (its keys are out of quota, rate limited for
   * longer than `maxWaitBeforeFallbackMs`, or failing): `{ 'gpt-4.1': ['gpt-4.1-mini', 'groq/llama-3.3-70b-versatile'] }`.
   * An entry is a model of the same provider, or `provider/model` for another provider's keys. A key may
   * be `provider/model` too, to apply to one provider only. See docs/fallbacks.md.
   * @default {}
   */
  readonly fallbacks?: FallbackMap;
  /** As `fallbacks`, used only when the prompt is longer than the model's context window. @default {} */
  readonly contextWindowFallbacks?: FallbackMap;
  /** As `fallbacks`, used only when the provider refused the prompt under its content policy. @default {} */
  readonly contentPolicyFallbacks?: FallbackMap;
  /**
   * When every key of a model is rate limited, the call waits for the earliest one if it is ready within
   * this many ms, and falls back otherwise.
   * @default 2000
   */
  readonly maxWaitBeforeFallbackMs?: number;
  /**
   * Fair shares by `tag` (a client's or a call's): within a priority, waiting jobs are served by tag in
   * proportion to these weights, `{ 'team-a': 3, 'team-b': 1 }`; a tag not listed (and untagged jobs)
   * weighs 1. Only jobs that wait share: a pool with free keys serves everyone at once. See
   * docs/deadlines-and-shares.md.
   * @default {} (every tag weighs 1)
   */
  readonly shares?: Readonly<Record<string, number>>;
  /**
   * A fallback target priced more than this many times the call's own model (input or output, per the
   * price table and `prices`) is skipped with reason `price`. A target or model of unknown price is not
   * held back. `Infinity` allows any.
   * @default 2
   */
  readonly maxFallbackPriceRatio?: number;
  /**
   * How jobs pick their key when neither the client nor the call names a strategy.
   * @default 'round-robin'
   */
  readonly strategy?: Strategy;
  /**
   * The time source of pacing, backoff, cooldowns and deadlines. Inject one to run a day of traffic in a
   * test without waiting.
   * @default the system clock
   */
  readonly clock?: Clock;
  /**
   * Random numbers in [0, 1) for the `random` and `weighted` strategies and backoff jitter; seed it to
   * replay a run.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Where keymux logs what happens to keys (cooldowns, breakers, learned limits): any pino-compatible
   * logger. Nothing is logged without one.
   * @default none
   *
   * @example
   * ```ts
   * import pino from 'pino';
   * new Multiplexer({ logger: pino({ level: 'info' }) });
   * ```
   */
  readonly logger?: Logger;
  /**
   * OpenTelemetry spans (a job span, a CLIENT span per attempt) and the GenAI client metrics, through
   * `@opentelemetry/api` when it is installed and a provider is registered: `false` turns them off (as
   * does `KEYMUX_TELEMETRY=0`); `{ captureContent: true }` also records the messages sent and received.
   * See docs/telemetry.md.
   * @default on, without content
   */
  readonly telemetry?: false | TelemetryOptions;
}

/** What `telemetry` records beyond the defaults. */
export interface TelemetryOptions {
  /**
   * Records the request's messages and the answer's text on the job span (`gen_ai.input.messages`,
   * `gen_ai.system_instructions`, `gen_ai.output.messages`). They may hold personal data.
   * @default false
   */
  readonly captureContent?: boolean;
}

/** The multiplexer's options with every default filled in, as `mux.options` shows them. */
export interface ResolvedOptions {
  readonly maxConcurrentRequests: number | 'auto';
  readonly queueSize: number;
  readonly initialRetryDelay: number;
  readonly backoffFactor: number;
  readonly maxRetryDelay: number;
  readonly maxRetries: number;
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly rateLimitCooldownMs: number;
  readonly breakerBaseMs: number;
  readonly maxEjectedPercent: number;
  readonly attemptTimeoutMs: number;
  readonly priorityAgingMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly streamFirstByteTimeoutMs: number;
  /** Options whose defaults belong to the features that read them: unset when not given. */
  readonly healthCheckInterval: number | undefined;
  readonly maxConcurrencyCeiling: number | undefined;
  readonly store: KeyStateStore | undefined;
  readonly fallbacks: FallbackMap;
  readonly contextWindowFallbacks: FallbackMap;
  readonly contentPolicyFallbacks: FallbackMap;
  readonly maxWaitBeforeFallbackMs: number;
  readonly maxFallbackPriceRatio: number;
  readonly shares: Shares;
  readonly strategy: Strategy;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger | undefined;
  readonly telemetry: false | Required<TelemetryOptions>;
}

/**
 * Per-call choices, for `execute` and the wrapped clients (`getOpenAIClient(options)` and siblings).
 *
 * @example
 * ```ts
 * const reply = await mux.execute('openai', (client) => (client as OpenAI).models.list(), {
 *   strategy: 'specific',
 *   keyName: 'team-a',
 *   priority: 10,
 *   timeoutMs: 30_000,
 *   signal: AbortSignal.timeout(60_000),
 * });
 * ```
 */
export interface CallOptions {
  /**
   * How this call picks its key.
   * @default the provider's strategy, else the multiplexer's `strategy`
   */
  readonly strategy?: Strategy;
  /**
   * With the `specific` strategy: the name of the key to use.
   * @default none
   */
  readonly keyName?: string;
  /**
   * Higher runs first within a key's queue; a waiting job gains priority as it ages (`priorityAgingMs`).
   * @default 0
   */
  readonly priority?: number;
  /**
   * Aborts the job wherever it is (queued, backing off, in flight); the call rejects with the signal's
   * reason.
   * @default none
   */
  readonly signal?: AbortSignal;
  /**
   * Deadline of the whole job (queued, backing off, running), in ms; past it the call rejects with
   * `TimeoutError`. `Infinity` for none.
   * @default Infinity
   */
  readonly timeoutMs?: number;
  /**
   * Tokens the request will use (prompt and output), reserved from the key's token buckets before the
   * call and reconciled with the real usage after it.
   * @default the provider adapter's estimate, else 0
   */
  readonly tokens?: number;
  /**
   * A label for budgets (`budgets: [{ tag }]`), fair shares (`shares`) and stats: only budgets without a
   * tag or with this one count the call; waiting jobs are served by tag in proportion to `shares`.
   * @default none
   */
  readonly tag?: string;
  /**
   * When the job must have started by: a duration counted from each call (`'90s'`, `'6h'`, `'2 days'`, a
   * number of ms) or a Date. A job never starts an attempt after it: a job still waiting then, or whose
   * attempt failed after it, rejects with `DeadlineExceededError`. An attempt already running is not cut
   * short (that is `timeoutMs`).
   * @default none
   */
  readonly deadline?: Date | string | number;
  /**
   * Models to try, in order, when the request's model cannot serve: replaces the multiplexer's
   * `fallbacks` list for this call (`[]`: none). Wrapped clients and the gateway only: `execute` runs a
   * function, not a model.
   * @default the multiplexer's `fallbacks` for the request's model
   */
  readonly fallbacks?: readonly string[];
  /**
   * The model the call uses, for `execute`: where the provider limits each model separately (OpenAI, Groq,
   * Gemini; Anthropic per model class), the key's rate-limit state for this model (its buckets learned
   * from headers, its cooldown after a 429) paces the call, and no other model's. Wrapped clients and the
   * gateway take it from each request.
   * @default none: the key's state for calls that name no model
   */
  readonly model?: string;
}

/*
 * The resolved options, sliced per consumer: each part of keymux is given what it reads and no more.
 */

/** What a job's attempt loop reads: attempts, the pause after faults, the wait-out of an outage, aging. */
export type RetryPolicy = Pick<
  ResolvedOptions,
  | 'clock'
  | 'random'
  | 'maxRetries'
  | 'initialRetryDelay'
  | 'backoffFactor'
  | 'maxRetryDelay'
  | 'breakerBaseMs'
  | 'cooldownMs'
  | 'priorityAgingMs'
  | 'shares'
>;

/** What the dispatcher reads: the retry policy, the default strategy, and the clock for deadlines. */
export type DispatchOptions = RetryPolicy & Pick<ResolvedOptions, 'strategy'>;

/** What a wrapped client's calls read: the clock and the stream deadlines. */
export type StreamDeadlines = Pick<
  ResolvedOptions,
  'clock' | 'streamIdleTimeoutMs' | 'streamFirstByteTimeoutMs'
>;

/** What the health checks read. */
export type HealthCheckOptions = Pick<ResolvedOptions, 'clock' | 'healthCheckInterval'>;

/** What a key's worker is built from: its health policy, queue, slots and attempt deadline. */
export type WorkerOptions = Pick<
  ResolvedOptions,
  | 'clock'
  | 'random'
  | 'queueSize'
  | 'maxConcurrentRequests'
  | 'maxConcurrencyCeiling'
  | 'attemptTimeoutMs'
  | 'priorityAgingMs'
  | 'initialRetryDelay'
  | 'backoffFactor'
  | 'maxRetryDelay'
  | 'failureThreshold'
  | 'cooldownMs'
  | 'breakerBaseMs'
  | 'rateLimitCooldownMs'
>;

/** What the key registry reads: the workers' options, and the pools' ejection ceiling. */
export type KeyRegistryOptions = WorkerOptions & Pick<ResolvedOptions, 'maxEjectedPercent'>;

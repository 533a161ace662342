import type { Clock } from '../core/clock.js';
import type { KeyStateStore } from '../store/store.js';

export type Strategy =
  | 'specific'
  | 'round-robin'
  | 'random'
  | 'lru'
  | 'least-used'
  | 'least-loaded'
  | 'weighted';

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

/** Per-key (or per quota group) limits. Minute limits are paced continuously; day limits are a sliding window. */
export interface RateLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Tokens (input + output) per minute. */
  readonly tpm?: number;
  /** Requests per day. */
  readonly rpd?: number;
  /** Tokens per day. */
  readonly tpd?: number;
}

/** pino-compatible: any object with these four methods. Messages never contain a key's value. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface KeyOptions {
  /** The secret. Held in a private field, never printed. */
  readonly apiKey: string;
  /** @default `${provider}-${n}` */
  readonly name?: string;
  /** Relative share for the `weighted` strategy (seed 004 calls it `priority`). @default 1 */
  readonly weight?: number;
  /** @default none: learned from the provider's rate-limit headers */
  readonly limits?: RateLimits;
  /** @default the multiplexer's `maxConcurrentRequests` */
  readonly maxConcurrentRequests?: number;
  /** @default the multiplexer's `queueSize` */
  readonly queueSize?: number;
  /** Model this key is meant for (informational; seed 001's `OPENAI_MODEL_n`). */
  readonly model?: string;
  /** Base URL for this key's SDK client. */
  readonly baseURL?: string;
  readonly tags?: readonly string[];
  /** @default true */
  readonly enabled?: boolean;
  /** Keys with the same group share their rate buckets (one organization's quota). */
  readonly quotaGroup?: string;
}

export interface MultiplexerOptions {
  /** Concurrent requests per key. @default 5 */
  readonly maxConcurrentRequests?: number;
  /** Jobs waiting per key beyond those in flight. @default 100 */
  readonly queueSize?: number;
  /** First backoff delay after a failure, in ms. @default 1000 */
  readonly initialRetryDelay?: number;
  /** @default 2 */
  readonly backoffFactor?: number;
  /** Longest backoff delay, in ms. @default 60000 */
  readonly maxRetryDelay?: number;
  /** Attempts of one job, across keys. @default 5 */
  readonly maxRetries?: number;
  /** Consecutive failures that open a key's circuit. @default 3 */
  readonly failureThreshold?: number;
  /** How long an open circuit stays open, in ms. @default 300000 */
  readonly cooldownMs?: number;
  /** Cooldown after a 429 that carries no hint, in ms. @default 60000 */
  readonly rateLimitCooldownMs?: number;
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
   * Where the keys' shared state lives (rate schedules, learned limits, cooldowns, breaker and probe):
   * `memoryStore()` for one process, `redisStore({ client })` for many processes on one set of keys.
   * @default memoryStore()
   */
  readonly store?: KeyStateStore;
  /** @default 'round-robin' */
  readonly strategy?: Strategy;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default none */
  readonly logger?: Logger;
}

export interface ResolvedOptions {
  readonly maxConcurrentRequests: number;
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
  readonly strategy: Strategy;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger | undefined;
}

/** Per-call choices, for `execute` and the wrapped clients. */
export interface CallOptions {
  readonly strategy?: Strategy;
  /** With `specific`: the key to use. */
  readonly keyName?: string;
  /** Higher runs first within a key's queue. @default 0 */
  readonly priority?: number;
  readonly signal?: AbortSignal;
  /** Deadline for the whole job (queued, backing off, running), in ms; `Infinity` for none. */
  readonly timeoutMs?: number;
  /** Estimated tokens of the request, reserved before the call. @default from the adapter, else 0 */
  readonly tokens?: number;
}

import type { Clock } from '../core/clock.js';

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
  /**
   * Concurrent requests per key; `'auto'` starts from the default and adapts (halved on a 429, grown
   * back after successes) like a key whose limits are unknown. @default 5
   */
  readonly maxConcurrentRequests?: number | 'auto';
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
  /** Deadline of one attempt (one SDK call on one key), in ms; `Infinity` for none. */
  readonly attemptTimeoutMs?: number;
  /** Longest silence between two chunks of a stream, in ms; `Infinity` for none. */
  readonly streamIdleTimeoutMs?: number;
  /** Deadline of a stream's first chunk, in ms; `Infinity` for none. */
  readonly streamFirstByteTimeoutMs?: number;
  /** First open period of a key's circuit breaker, in ms. */
  readonly breakerBaseMs?: number;
  /** Largest share of a provider's keys (0–100) that failures may take out of rotation at once. */
  readonly maxEjectedPercent?: number;
  /** How long a queued job waits before its priority is raised by one, in ms; `Infinity` for never. */
  readonly priorityAgingMs?: number;
  /** Interval of the keys' health checks, in ms (seed 004's config files name it). */
  readonly healthCheckInterval?: number;
  /** Upper bound of an adaptive (`'auto'`) per-key concurrency. */
  readonly maxConcurrencyCeiling?: number;
  /** @default 'round-robin' */
  readonly strategy?: Strategy;
  /** Where state survives a restart. @default none */
  readonly store?: object;
  /** A metrics sink. @default none */
  readonly metrics?: object;
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
  /** Options whose defaults belong to the features that read them: unset when not given. */
  readonly attemptTimeoutMs: number | undefined;
  readonly streamIdleTimeoutMs: number | undefined;
  readonly streamFirstByteTimeoutMs: number | undefined;
  readonly breakerBaseMs: number | undefined;
  readonly maxEjectedPercent: number | undefined;
  readonly priorityAgingMs: number | undefined;
  readonly healthCheckInterval: number | undefined;
  readonly maxConcurrencyCeiling: number | undefined;
  readonly store: object | undefined;
  readonly metrics: object | undefined;
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
  /** Deadline for the whole job (queued, backing off, running). */
  readonly timeoutMs?: number;
  /** Estimated tokens of the request, reserved before the call. @default from the adapter, else 0 */
  readonly tokens?: number;
}

import type { ApiKey } from '../core/api-key.js';
import type { Clock } from '../core/clock.js';
import type { EventBus, KeyRef } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { AdaptiveConcurrency } from '../policy/adaptive-concurrency.js';
import type { EjectionGuard, HealthState, KeyHealth } from '../policy/health.js';
import type { LimitName, LimitUsage, ModelLimits, RateLimiter } from '../policy/rate-limiter.js';
import type { SharedGate } from '../policy/shared-gate.js';

export interface WorkerDeps {
  readonly key: ApiKey;
  readonly ref: KeyRef;
  readonly weight: number;
  readonly queueSize: number;
  readonly health: KeyHealth;
  readonly limiter: RateLimiter;
  /**
   * The rate-limit state per model (limit scope) of the key or its quota group, where the provider limits
   * models separately; undefined where it limits the key as one.
   */
  readonly models?: ModelLimits | undefined;
  /** A model's limit scope on this provider (`ProviderAdapter.limitScope`). */
  readonly limitScope?: ((model: string) => string) | undefined;
  /** The key's concurrency limit: fixed, or adapting to latency and the rate limits (`'auto'`). */
  readonly concurrency: AdaptiveConcurrency;
  readonly guard: EjectionGuard | undefined;
  readonly clock: Clock;
  readonly events: EventBus;
  /**
   * The key's SDK client; per limit scope where the provider limits models apart (each client's fetch
   * files its answers' headers under its scope), the key's own for `undefined`.
   */
  readonly client: (scope?: string) => unknown;
  readonly classify: (error: unknown) => Failure;
  /** Undefined when the key's client can be built now, else a promise of when. */
  readonly ready: () => Promise<void> | undefined;
  /** The provider never corrects its up-front charge, so neither do the buckets (OpenAI, Groq). */
  readonly chargesEstimate: boolean;
  /** One attempt's deadline, in ms; Infinity for none. */
  readonly attemptTimeoutMs: number;
  /** A waiting job gains one priority level per this many ms, so a low priority is delayed, never starved. */
  readonly priorityAgingMs: number;
  /**
   * Called whenever a slot frees or the key changes, so jobs waiting for a key look again: at this key
   * alone, or (`'pool'`) at every key, when the change was not this key's alone (its SDK loaded).
   */
  readonly notify: (scope?: 'pool') => void;
  /** Jobs waiting in the key's pool for any key: with its slots full, more slots would be used. */
  readonly poolBacklog?: (() => number) | undefined;
  /** The key's state shared with other processes (a Redis store); undefined in a process alone. */
  readonly shared?: SharedGate | undefined;
}

/** What `stats()` shows of a key. */
export interface KeyWorkerStats {
  readonly state: HealthState;
  /** 0–100. */
  readonly healthScore: number;
  readonly cooldownUntil: number | undefined;
  readonly limits: Partial<Record<LimitName, LimitUsage>>;
  /** Jobs given to the key whose call has not begun. */
  readonly queued: number;
  readonly inFlight: number;
  /** Calls it may have in flight now: while its limits are being learned, one at a time. */
  readonly slots: number;
  /** Its concurrency limit. */
  readonly concurrency: number;
  readonly weight: number;
  /** When a call last started on it (clock time); -Infinity before the first. */
  readonly lastUsedAt: number;
  /** Per limit scope (a model, or Anthropic's model class) where the provider limits models separately. */
  readonly models: Readonly<Record<string, ModelStats>>;
}

/** One model's rate-limit state on a key. */
export interface ModelStats {
  /** `rate-limited` while a 429 of its own rests it on the key. */
  readonly state: 'ready' | 'rate-limited';
  readonly cooldownUntil: number | undefined;
  /** Its limits, learned from the headers of its own answers. */
  readonly limits: Partial<Record<LimitName, LimitUsage>>;
}

/**
 * A key as the layers above the dispatcher see it (the multiplexer, stats, health checks): taken out of
 * rotation and back, reset, asked when it may serve and what it holds. The machinery behind it (its
 * queue, slots, rate waits and attempts) is its KeyLane, which only the dispatcher drives.
 */
export class KeyWorker {
  readonly #lane: LaneControls;

  constructor(lane: LaneControls) {
    this.#lane = lane;
  }

  get ref(): KeyRef {
    return this.#lane.ref;
  }

  /** Back into rotation (`enableKey`). */
  enable(): void {
    this.#lane.enable();
  }

  /** Out of rotation: its queued jobs go back to the pool at once; calls in flight finish. */
  disable(): void {
    this.#lane.disable();
  }

  /** Clears cooldown, breaker, quota and auth state and the adapted concurrency; true when it was held out. */
  reset(now: number): boolean {
    return this.#lane.reset(now);
  }

  /**
   * When the key may next be tried (for calls of `model`, when given: its own cooldown on the key too);
   * undefined when only an operator (or a health check) can bring it back.
   */
  readyAt(now: number, model?: string): number | undefined {
    return this.#lane.readyAt(now, model === undefined ? undefined : this.#lane.scopeOf(model));
  }

  /** What the stats show of the key. */
  stats(now: number): KeyWorkerStats {
    return this.#lane.stats(now);
  }
}

/** What a health check does with a key, outside its queue and rate buckets. */
export interface KeyCheck {
  /** The key's SDK client, once its SDK is loaded. */
  checkClient(): Promise<unknown>;
  /** A provider error met with this key, classified, with the key's value scrubbed from it. */
  classify(error: unknown): Failure;
  /** The check's verdict, taken as a real call's would be; returns the key's state afterwards. */
  recordCheck(failure: Failure | undefined, at: number): HealthState;
}

/** What a KeyWorker drives of its lane (src/dispatch/key-lane.ts). */
export interface LaneControls {
  readonly ref: KeyRef;
  enable(): void;
  disable(): void;
  reset(now: number): boolean;
  readyAt(now: number, scope?: string): number | undefined;
  scopeOf(model: string): string | undefined;
  stats(now: number): KeyWorkerStats;
}

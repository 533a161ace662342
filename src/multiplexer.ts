import { validateCallOptions } from './config/call-options.js';
import { describeWord } from './config/describe-value.js';
import { type EnvConfig, readEnv } from './config/env.js';
import { loadConfigFile, parseConfig } from './config/file.js';
import type {
  CallOptions,
  KeyOptions,
  MultiplexerOptions,
  ResolvedOptions,
  Strategy,
} from './config/options.js';
import { parseStrategy, resolveOptions } from './config/resolve.js';
import { ConfigError, ShutdownError, TimeoutError } from './core/errors.js';
import { EventBus, type KeymuxEventType, type KeyRef, type Listener } from './core/events.js';
import type { KeyCheckResult } from './core/key-check.js';
import { isDeadline, linkSignal } from './core/link-signal.js';
import { logEvents } from './core/log-events.js';
import { TRACE_SOURCE, type Traced } from './core/telemetry.js';
import { type DispatchContext, DispatchedJob } from './dispatch/dispatcher.js';
import { HealthChecks } from './health-check/health-checks.js';
import type { KeyPool } from './keys/key-pool.js';
import { KeyRegistry } from './keys/key-registry.js';
import type { ProviderAdapter } from './providers/adapter.js';
import type { ClientOptions } from './providers/client-options.js';
import { anthropicClient, geminiClient, genAIClient, groqClient, openAIClient } from './providers/clients.js';
import type { GenericAdapterOptions } from './providers/generic.js';
import type { SdkClient } from './providers/sdk-types.js';
import { type KeyRotationOptions, withKeyRotation } from './providers/with-key-rotation.js';
import { type CounterState, foldEvent } from './stats/stats.js';
import { type UsageStats, usageStats } from './stats/usage-stats.js';
import { storeGates } from './store/key-gate.js';
import { isKeyStateStore, memoryStore } from './store/memory-store.js';
import type { KeyStateStore } from './store/store.js';
import { storeFromEnv } from './store/store-from-env.js';
import { Telemetry } from './telemetry/telemetry.js';
import type { Cancellation } from './worker/cancellation.js';
import type { Job, JobContext } from './worker/job-context.js';

/**
 * Many keys of one provider used as one: per-key workers, a dispatcher with failover, the providers'
 * own SDK clients wrapped, stats and events.
 */
export class Multiplexer {
  readonly options: ResolvedOptions;
  readonly #events = new EventBus();
  readonly #keys: KeyRegistry;
  readonly #health: HealthChecks;
  readonly #counters: CounterState = new Map();
  /** Every accepted, unsettled job: close() aborts them one by one, so no signal collects a listener per job. */
  readonly #jobs = new Set<DispatchedJob<unknown>>();
  readonly #idle: Array<() => void> = [];
  /** The default strategy: `options.strategy` until setStrategy() changes it. */
  #strategy: Strategy;
  #nextJobId = 1;
  #active = 0;
  #closed = false;
  /** The keys' shared state: memory (a process alone, the workers' own) or Redis. */
  readonly #store: KeyStateStore;
  readonly #unsubscribeStore: () => void;
  /** Made from the environment (`KEYMUX_REDIS_URL`): closed with the multiplexer. */
  #ownsStore = false;
  /** OpenTelemetry, unless `telemetry: false` or `KEYMUX_TELEMETRY=0`. */
  readonly #telemetry: Telemetry | undefined;

  constructor(options: MultiplexerOptions = {}) {
    this.options = resolveOptions(options);
    this.#dispatch = { options: this.options, events: this.#events, onSettled: this.#settled };
    this.#strategy = this.options.strategy;
    this.#events.on('*', (event) => foldEvent(this.#counters, event));
    const { logger } = this.options;
    if (logger) {
      logEvents(this.#events, logger);
      this.#events.reportListenerError = (error, event) =>
        logger.warn({ err: error, eventType: event.type }, 'keymux event listener threw');
    }
    if (options.store !== undefined && !isKeyStateStore(options.store)) {
      throw new ConfigError('store', 'Expected a store made by memoryStore() or redisStore()');
    }
    this.#store = options.store ?? memoryStore({ clock: this.options.clock });
    this.#unsubscribeStore = this.#store.on((event) => this.#events.emit(event));
    this.#keys = new KeyRegistry(this.options, this.#events, storeGates(this.#store, this.options));
    this.#health = new HealthChecks(this.options, this.#events, () => this.#keys.pools());
    const { telemetry, clock } = this.options;
    if (telemetry !== false) this.#telemetry = new Telemetry(telemetry, clock);
  }

  /** `memory` (one process), `redis` (shared) or `degraded` (Redis away: each process at its local share). */
  get storeMode(): KeyStateStore['mode'] {
    return this.#store.mode;
  }

  /**
   * A multiplexer with every key of the environment: `OPENAI_API_KEYS` (comma-separated),
   * `OPENAI_API_KEY`, `OPENAI_API_KEY_1…N`, the same for Anthropic (and `CLAUDE_API_KEY`), Gemini (and
   * `GOOGLE_API_KEY`), Groq and any `X_API_KEYS`; per-index limits; `KEYMUX_*` options. `options` win
   * over the environment's.
   *
   * @example
   * ```ts
   * // OPENAI_API_KEYS=sk-a,sk-b,sk-c KEYMUX_MAX_RETRIES=3
   * const mux = Multiplexer.fromEnv();
   * const openai = mux.getOpenAIClient('least-loaded');
   * ```
   */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>> = process.env,
    options: MultiplexerOptions = {},
  ): Multiplexer {
    // The environment is read (and checked) before the store's client exists: a bad variable leaves no
    // connection open behind its ConfigError.
    const parsed = readEnv(env);
    const store = options.store === undefined ? storeFromEnv(env) : undefined;
    if (!store) return Multiplexer.#fromParsed(parsed, options);
    try {
      const mux = Multiplexer.#fromParsed(parsed, { ...options, store });
      mux.#ownsStore = true;
      return mux;
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /**
   * A multiplexer from a config object, or from the path of a JSON file holding one (then a Promise).
   * The object may sit under an `ApiKeyPool` field of an app's own config; other fields are ignored.
   *
   * @example
   * ```ts
   * const mux = Multiplexer.fromConfig({
   *   strategy: 'least-loaded',
   *   providers: {
   *     openai: {
   *       keys: [
   *         { name: 'team-a', key: process.env.OPENAI_KEY_A, rateLimit: { requestsPerMinute: 500 } },
   *         { name: 'team-b', key: process.env.OPENAI_KEY_B, priority: 2 },
   *       ],
   *     },
   *   },
   * });
   * const fromFile = await Multiplexer.fromConfig('./keymux.json');
   * ```
   */
  static fromConfig(config: string, options?: MultiplexerOptions): Promise<Multiplexer>;
  static fromConfig(config: object, options?: MultiplexerOptions): Multiplexer;
  static fromConfig(
    config: object | string,
    options: MultiplexerOptions = {},
  ): Multiplexer | Promise<Multiplexer> {
    if (typeof config === 'string')
      return loadConfigFile(config).then((parsed) => Multiplexer.#fromParsed(parsed, options));
    return Multiplexer.#fromParsed(parseConfig(config), options);
  }

  static #fromParsed(parsed: EnvConfig, options: MultiplexerOptions): Multiplexer {
    const mux = new Multiplexer({ ...parsed.options, ...options });
    for (const { provider, options: keyOptions } of parsed.keys) {
      if (!mux.#keys.hasProvider(provider)) mux.registerProvider({ name: provider });
      mux.addKey(provider, keyOptions);
    }
    for (const [provider, strategy] of Object.entries(parsed.strategies)) mux.setStrategy(strategy, provider);
    return mux;
  }

  /**
   * Adds (or replaces) a provider: how to build a client from a key and how to classify its errors.
   * Only `name` is required: by default the "client" is the key itself and errors are classified by
   * their HTTP status and Retry-After.
   */
  registerProvider<Client>(adapter: ProviderAdapter<Client> | GenericAdapterOptions<Client>): this {
    this.#keys.register(adapter);
    return this;
  }

  /** Adds a key; returns its name. Keys with the same `quotaGroup` share their rate buckets. */
  addKey(provider: string, keyOptions: KeyOptions): string {
    this.#assertOpen();
    const worker = this.#keys.add(provider, keyOptions);
    this.#events.emit({ type: 'key-added', at: this.options.clock.now(), key: worker.ref });
    return worker.name;
  }

  addOpenAIKey(name: string, apiKey: string, opts: Omit<KeyOptions, 'apiKey' | 'name'> = {}): string {
    return this.addKey('openai', { ...opts, name, apiKey });
  }
  addAnthropicKey(name: string, apiKey: string, opts: Omit<KeyOptions, 'apiKey' | 'name'> = {}): string {
    return this.addKey('anthropic', { ...opts, name, apiKey });
  }
  addGeminiKey(name: string, apiKey: string, opts: Omit<KeyOptions, 'apiKey' | 'name'> = {}): string {
    return this.addKey('gemini', { ...opts, name, apiKey });
  }
  addGroqKey(name: string, apiKey: string, opts: Omit<KeyOptions, 'apiKey' | 'name'> = {}): string {
    return this.addKey('groq', { ...opts, name, apiKey });
  }

  /** Removes a key. Its in-flight calls finish; its queued jobs move to other keys. */
  removeKey(provider: string, name: string): boolean {
    const worker = this.#keys.remove(provider, name);
    if (!worker) return false;
    worker.deps.health.enabled = false;
    this.#events.emit({ type: 'key-removed', at: this.options.clock.now(), key: worker.ref });
    return true;
  }

  enableKey(provider: string, name: string): void {
    const worker = this.#keys.worker(provider, name);
    worker.deps.health.enabled = true;
    this.#events.emit({ type: 'key-enabled', at: this.options.clock.now(), key: worker.ref });
    this.#keys.pool(provider).notify();
  }

  /** Takes a key out of rotation. Its queued jobs move to other keys at once; calls in flight finish. */
  disableKey(provider: string, name: string): void {
    const worker = this.#keys.worker(provider, name);
    worker.deps.health.enabled = false;
    worker.evictQueued();
    this.#events.emit({ type: 'key-disabled', at: this.options.clock.now(), key: worker.ref });
  }

  /** Clears cooldown, breaker, quota and auth state of one key, or of every key of the provider. */
  resetKey(provider: string, name?: string): void {
    const pool = this.#keys.pool(provider);
    const workers = name === undefined ? pool.workers : [this.#keys.worker(provider, name)];
    const now = this.options.clock.now();
    for (const worker of workers) {
      worker.deps.concurrency.reset();
      if (worker.deps.health.reset(now))
        this.#events.emit({ type: 'key-recovered', at: now, key: worker.ref });
    }
    pool.notify();
  }

  /**
   * Checks every key (or one provider's) with the provider's cheapest authenticated call, outside the
   * keys' rate buckets; results drive their health as real calls would (401/403 → unavailable, spent
   * quota → exhausted, a pass revives). Disabled keys are reported as skipped.
   */
  checkKeys(provider?: string): Promise<KeyCheckResult[]> {
    if (this.#closed) return Promise.reject(new ShutdownError());
    if (provider !== undefined && !this.#keys.hasProvider(provider))
      return Promise.reject(new ConfigError('provider', `unknown provider "${provider}"`));
    const pools = [...this.#keys.pools()].filter((p) => provider === undefined || p.provider === provider);
    return this.#health.check(pools);
  }

  /** The default strategy, or one provider's. */
  setStrategy(strategy: Strategy, provider?: string): void {
    const parsed = parseStrategy(strategy, 'strategy');
    if (provider === undefined) {
      this.#strategy = parsed;
      return;
    }
    this.#keys.pool(provider, true).strategy = parsed;
  }

  /**
   * Runs `fn` with a client of a key chosen by strategy, failing over on retryable errors. Never throws:
   * bad call options (a mistyped strategy, `priority: NaN`, `signal: 'x'`) reject with a ConfigError.
   */
  execute<T>(
    provider: string,
    fn: (client: unknown, ctx: JobContext) => Promise<T>,
    options: CallOptions & Traced = {},
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new ShutdownError());
    let call: CallOptions;
    let pool: KeyPool;
    let strategy: Strategy;
    try {
      if (typeof fn !== 'function') throw new ConfigError('fn', 'Expected `fn` to be a function');
      call = validateCallOptions(options);
      pool = this.#keys.pool(provider);
      strategy = this.#strategyFor(pool, call);
    } catch (error) {
      return Promise.reject(error);
    }
    const job = new DispatchedJob(
      this.#nextJobId++,
      call.tokens ?? 0,
      call.priority ?? 0,
      fn,
      pool,
      strategy,
      call.keyName,
      this.#dispatch,
    );
    // The caller's active context is the job span's parent: taken now, in the caller's own call.
    if (this.#telemetry) job.trace = this.#telemetry.startJob(pool.provider, strategy, options[TRACE_SOURCE]);
    this.#jobs.add(job);
    if (call.signal !== undefined || isDeadline(call.timeoutMs)) job.release = this.#link(job, call);
    this.#active++;
    return job.start();
  }

  /** One function for every job (not a closure each): forget the job, and wake drain() when idle. */
  readonly #settled = (job: Job<unknown>): void => {
    const queued = job as DispatchedJob<unknown>;
    // A stream handed to the caller still holds its key's slot: close() must still reach it.
    if (queued.held) {
      const forget = (): boolean => this.#jobs.delete(queued);
      queued.held.then(forget, forget);
    } else this.#jobs.delete(queued);
    queued.release?.();
    this.#active--;
    // The job's promise settles after this: wake drain() only once the callers' handlers have run.
    if (this.#active === 0 && this.#idle.length > 0) setImmediate(this.#wakeIdle);
  };

  /** What every job of this multiplexer shares. */
  readonly #dispatch: DispatchContext;

  readonly #wakeIdle = (): void => {
    if (this.#active === 0) for (const wake of this.#idle.splice(0)) wake();
  };

  /** The same as `execute`, under the name some existing code uses. */
  executeWithRetry<T>(
    provider: string,
    fn: (client: unknown, ctx: JobContext) => Promise<T>,
    call?: CallOptions,
  ): Promise<T> {
    return this.execute(provider, fn, call);
  }

  /** Per provider and per key: requests, failures, 429s, tokens, latency, limits in use, health. */
  getUsageStats(): UsageStats {
    const stats = usageStats(this.#keys.pools(), this.#counters, this.#strategy, this.options.clock.now());
    return { ...stats, store: { mode: this.#store.mode } };
  }

  /**
   * Listens to one event type, or to all with `'*'`; returns what removes the listener.
   *
   * @example
   * ```ts
   * const off = mux.on('rate-limited', (e) => console.warn(`${e.key.name} rests until ${e.until}`));
   * ```
   */
  on<T extends KeymuxEventType>(type: T | '*', listener: Listener<T>): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Feeds the headers of a response got outside the key's SDK client (a raw HTTP call made with the
   * key, as the gateway makes) to the key's rate buckets, exactly as its SDK client's responses are.
   * `key` is the job's `ctx.key`; a key removed meanwhile is ignored.
   */
  observeLimitHeaders(key: KeyRef, headers: Headers): void {
    this.#keys.observeLimitHeaders(key.provider, key.name, headers);
  }

  /** Names of the keys of a provider, in order. */
  keyNames(provider: string): string[] {
    return this.#keys.names(provider);
  }

  /**
   * Resolves when every accepted job has settled and its settlement has been delivered to the caller's
   * handlers. New jobs are still accepted.
   */
  drain(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Refuses new jobs with `ShutdownError`; jobs not yet started are rejected with it, calls in flight
   * are aborted, and so are the streams of the wrapped clients. Resolves when every accepted job has
   * settled and every stream has given its slot back.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#health.stop();
    const reason = new ShutdownError();
    const held: Array<Promise<unknown>> = [];
    for (const job of this.#jobs) {
      if (job.held) held.push(job.held);
      job.abort(reason);
    }
    for (const pool of this.#keys.pools()) {
      for (const worker of pool.workers) {
        worker.evictQueued();
      }
      pool.notify();
    }
    await this.drain();
    // Streams handed out end on the abort; their slots are free once their holds settle.
    await Promise.allSettled(held);
    // The store and its Redis client stay the caller's: only this multiplexer's listener goes.
    this.#unsubscribeStore();
    if (this.#ownsStore) await this.#store.close();
  }

  /** The `openai` package's client; every request on it is a keymux job on a key chosen by strategy. */
  getOpenAIClient(strategyOrOptions?: ClientOptions): SdkClient<'openai'> {
    return openAIClient(this, strategyOrOptions);
  }

  /** The `@anthropic-ai/sdk` package's client, multiplexed. */
  getAnthropicClient(strategyOrOptions?: ClientOptions): SdkClient<'anthropic'> {
    return anthropicClient(this, strategyOrOptions);
  }

  /** The `groq-sdk` package's client, multiplexed. */
  getGroqClient(strategyOrOptions?: ClientOptions): SdkClient<'groq'> {
    return groqClient(this, strategyOrOptions);
  }

  /** `@google/generative-ai`'s client, multiplexed over the Gemini keys. */
  getGeminiClient(strategyOrOptions?: ClientOptions): SdkClient<'gemini'> {
    return geminiClient(this, strategyOrOptions);
  }

  /** `@google/genai`'s client (the maintained successor), multiplexed over the same Gemini keys. */
  getGenAIClient(strategyOrOptions?: ClientOptions): SdkClient<'genai'> {
    return genAIClient(this, strategyOrOptions);
  }

  /**
   * Wraps code that takes the key itself: every call of the result runs `fn(apiKey, …args)` as a keymux
   * job, with the key the strategy picks, failing over to another key on a retryable failure.
   */
  withKeyRotation<A extends unknown[], R>(
    provider: string,
    fn: (apiKey: string, ...args: A) => R | Promise<R>,
    options?: ClientOptions & KeyRotationOptions,
  ): (...args: A) => Promise<R> {
    return withKeyRotation(this, provider, fn, options);
  }

  #strategyFor(pool: KeyPool, call: CallOptions): Strategy {
    const strategy =
      call.strategy ?? (call.keyName === undefined ? (pool.strategy ?? this.#strategy) : 'specific');
    if (strategy === 'specific' && (call.keyName === undefined || !pool.get(call.keyName))) {
      throw new ConfigError(
        'keyName',
        `the \`specific\` strategy needs the name of a ${pool.provider} key, got ${describeWord(call.keyName)}`,
      );
    }
    return strategy;
  }

  /**
   * Links a job to the caller's signal and deadline; returns what undoes the links. One signal shared by
   * many calls gets one listener (see `linkSignal`), so 10 000 calls on it raise no MaxListeners warning.
   */
  #link(job: Cancellation, call: CallOptions): () => void {
    const unlink = call.signal === undefined ? undefined : linkSignal(call.signal, job);
    const timer = isDeadline(call.timeoutMs) ? this.#startTimeout(job, call.timeoutMs) : undefined;
    return () => {
      unlink?.();
      timer?.abort();
    };
  }

  /** The job's deadline, on the injected clock; the returned controller cancels it. */
  #startTimeout(job: Cancellation, ms: number): AbortController {
    const timer = new AbortController();
    this.options.clock.sleep(ms, timer.signal).then(
      () => job.abort(new TimeoutError(ms)),
      () => undefined,
    );
    return timer;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ShutdownError();
  }
}

import { createOffload, offloadCall } from './batch-offload.js';
import type { ClientOptions } from './clients/client-options.js';
import {
  anthropicClient,
  geminiClient,
  genAIClient,
  groqClient,
  openAIClient,
} from './clients/sdk-clients.js';
import type { SdkClient } from './clients/sdk-types.js';
import { type KeyRotationOptions, withKeyRotation } from './clients/with-key-rotation.js';
import type { Executor, OffloadRequest } from './clients/wrap-context.js';
import { type EnvConfig, readEnv } from './config/env.js';
import { applyConfig, loadConfig } from './config/load.js';
import type {
  CallOptions,
  KeyOptions,
  MultiplexerOptions,
  ResolvedOptions,
  Strategy,
} from './config/options.js';
import { parseStrategy, resolveOptions } from './config/resolve.js';
import { ConfigError, ShutdownError } from './core/errors.js';
import { EventBus, type KeymuxEventType, type KeyRef, type Listener } from './core/events.js';
import { type ModelTarget, targetName } from './core/fallback.js';
import type { KeyCheckResult } from './core/key-check.js';
import { type CounterState, foldEvent } from './core/key-counters.js';
import { logEvents } from './core/log-events.js';
import type { Traced } from './core/telemetry.js';
import type { JobContext } from './dispatch/job-context.js';
import { Dispatcher } from './dispatch/job-dispatcher.js';
import { KeyRegistry } from './dispatch/key-registry.js';
import { type RunTarget, runChain } from './fallback/chain.js';
import { type FallbackVeto, priceVeto } from './fallback/veto.js';
import { HealthChecks } from './health-check/health-checks.js';
import type { BatchOffloader, OffloadStats } from './offload/batch-offloader.js';
import type { ProviderAdapter } from './providers/adapter.js';
import type { GenericAdapterOptions } from './providers/generic.js';
import { Spend, type SpendRequest } from './spend/spend.js';
import { foldModelEvent, type ModelCounterState, modelStats } from './stats/model-stats.js';
import { type UsageStats, usageStats } from './stats/usage-stats.js';
import { storeGates } from './store/key-gate.js';
import { memoryStore } from './store/memory-store.js';
import type { KeyStateStore } from './store/store.js';
import { storeFromEnv } from './store/store-from-env.js';
import { Telemetry } from './telemetry/telemetry.js';

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
  readonly #models: ModelCounterState = new Map();
  readonly #dispatcher: Dispatcher;
  /** The keys' shared state: memory (a process alone, the workers' own) or Redis. */
  readonly #store: KeyStateStore;
  readonly #unsubscribeStore: () => void;
  /** Made from the environment (`KEYMUX_REDIS_URL`): closed with the multiplexer. */
  #ownsStore = false;
  /** Prices, budgets and the cost of every call. */
  readonly #spend: Spend;
  /** `maxFallbackPriceRatio`, over the same prices as the spend figures. */
  readonly #veto: FallbackVeto;
  /** `batchOffload`: calls that can wait go to the Batch APIs; undefined when off. */
  readonly #offloader: BatchOffloader | undefined;
  /**
   * What the wrapped clients call: the dispatcher and the key registry themselves (bound), so a request
   * goes clients → dispatch without coming back up through this facade.
   */
  readonly #executor: Executor;

  constructor(options: MultiplexerOptions = {}) {
    this.options = resolveOptions(options);
    this.#spend = new Spend(options, this.options.clock, (event) => this.#events.emit(event));
    this.#veto = priceVeto(this.options.maxFallbackPriceRatio, options.prices);
    // Bound, not a closure: the stats fold runs on every event without passing through this facade.
    this.#events.on('*', foldEvent.bind(undefined, this.#counters));
    this.#events.on('model-settled', (event) => foldModelEvent(this.#models, event));
    this.#events.on('fallback', (event) => foldModelEvent(this.#models, event));
    const { logger } = this.options;
    if (logger) {
      logEvents(this.#events, logger);
      this.#events.reportListenerError = (error, event) =>
        logger.warn({ err: error, eventType: event.type }, 'keymux event listener threw');
    }
    this.#store = this.options.store ?? memoryStore({ clock: this.options.clock });
    this.#unsubscribeStore = this.#store.on((event) => this.#events.emit(event));
    this.#spend.ledger.share(this.#store.budgets, this.options.clock);
    this.#keys = new KeyRegistry(this.options, this.#events, storeGates(this.#store, this.options));
    this.#health = new HealthChecks(this.options, this.#events, () => this.#keys.pools());
    const { telemetry, clock } = this.options;
    this.#dispatcher = new Dispatcher(
      this.options,
      this.#events,
      this.#keys,
      telemetry === false ? undefined : new Telemetry(telemetry, clock),
      this.#spend,
    );
    const { fallbacks, contextWindowFallbacks, contentPolicyFallbacks } = this.options;
    this.#executor = {
      options: this.options,
      // Fixed now: without any, wrapped calls skip the fallback gate (unless a client names its own).
      hasFallbacks: [fallbacks, contextWindowFallbacks, contentPolicyFallbacks].some(
        (map) => Object.keys(map).length > 0,
      ),
      adapterOf: this.#keys.adapterOf.bind(this.#keys),
      execute: this.#dispatcher.execute.bind(this.#dispatcher),
      withFallbacks: this.withFallbacks.bind(this),
      offload: this.offload.bind(this),
    };
    this.#offloader = createOffload({
      options: options.batchOffload,
      clock,
      spend: this.#spend,
      journal: this.#store.offloadJournal,
      adapterOf: (provider) => this.adapterOf(provider),
      // Unguarded, as before the dispatcher took the spend guard: the offloader reserves and settles itself.
      execute: (provider, fn, call) => this.#dispatcher.execute(provider, fn, call, undefined, false),
      outside: (provider, source) => this.#dispatcher.outside(provider, source),
    });
  }

  /**
   * @internal The call sent to a Batch API when `batchOffload` takes it (a deadline far enough, not a
   * stream, a provider with a Batch API); undefined when it must be sent now.
   */
  offload(request: OffloadRequest, stream: boolean): Promise<unknown> | undefined {
    return offloadCall(this.#offloader, request, stream);
  }

  /** What the offload engine did: calls taken, batches, answers from batches, lines re-sent synchronously. */
  get offloadStats(): OffloadStats | undefined {
    return this.#offloader && { ...this.#offloader.stats };
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
      return loadConfig(config).then((parsed) => Multiplexer.#fromParsed(parsed, options));
    return Multiplexer.#fromParsed(loadConfig(config), options);
  }

  static #fromParsed(parsed: EnvConfig, options: MultiplexerOptions): Multiplexer {
    const mux = new Multiplexer({ ...parsed.options, ...options });
    applyConfig(parsed, {
      hasProvider: (provider) => mux.#keys.hasProvider(provider),
      registerProvider: (adapter) => mux.registerProvider(adapter),
      addKey: (provider, key) => mux.addKey(provider, key),
      setStrategy: (strategy, provider) => mux.setStrategy(strategy, provider),
    });
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

  /**
   * The adapter a provider's keys and wrapped clients use: the built-in one, or the one registerProvider()
   * gave; undefined for a provider never registered.
   */
  adapterOf(provider: string): ProviderAdapter | undefined {
    return this.#keys.adapterOf(provider);
  }

  /** Adds a key; returns its name. Keys with the same `quotaGroup` share their rate buckets. */
  addKey(provider: string, keyOptions: KeyOptions): string {
    this.#assertOpen();
    const worker = this.#keys.add(provider, keyOptions);
    this.#events.emit({ type: 'key-added', at: this.options.clock.now(), key: worker.ref });
    return worker.ref.name;
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
    worker.disable();
    this.#events.emit({ type: 'key-removed', at: this.options.clock.now(), key: worker.ref });
    return true;
  }

  enableKey(provider: string, name: string): void {
    const worker = this.#keys.worker(provider, name);
    worker.enable();
    this.#events.emit({ type: 'key-enabled', at: this.options.clock.now(), key: worker.ref });
    this.#keys.pool(provider).notify();
  }

  /** Takes a key out of rotation. Its queued jobs move to other keys at once; calls in flight finish. */
  disableKey(provider: string, name: string): void {
    const worker = this.#keys.worker(provider, name);
    worker.disable();
    this.#events.emit({ type: 'key-disabled', at: this.options.clock.now(), key: worker.ref });
  }

  /** Clears cooldown, breaker, quota and auth state of one key, or of every key of the provider. */
  resetKey(provider: string, name?: string): void {
    const pool = this.#keys.pool(provider);
    const workers = name === undefined ? pool.workers : [this.#keys.worker(provider, name)];
    const now = this.options.clock.now();
    for (const worker of workers) {
      if (worker.reset(now)) this.#events.emit({ type: 'key-recovered', at: now, key: worker.ref });
    }
    pool.notify();
  }

  /**
   * Checks every key (or one provider's) with the provider's cheapest authenticated call, outside the
   * keys' rate buckets; results drive their health as real calls would (401/403 → unavailable, spent
   * quota → exhausted, a pass revives). Disabled keys are reported as skipped.
   */
  checkKeys(provider?: string): Promise<KeyCheckResult[]> {
    if (this.#dispatcher.closed) return Promise.reject(new ShutdownError());
    if (provider !== undefined && !this.#keys.hasProvider(provider))
      return Promise.reject(new ConfigError('provider', `unknown provider "${provider}"`));
    const pools = [...this.#keys.pools()].filter((p) => provider === undefined || p.provider === provider);
    return this.#health.check(pools);
  }

  /** The default strategy, or one provider's. */
  setStrategy(strategy: Strategy, provider?: string): void {
    const parsed = parseStrategy(strategy, 'strategy');
    if (provider === undefined) {
      this.#dispatcher.strategy = parsed;
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
    /** @internal What a wrapped client knows of the call's cost before it is sent. */
    spend?: SpendRequest,
  ): Promise<T> {
    // Options are checked, and the job wrapped for spend, by the dispatcher.
    return this.#dispatcher.execute(provider, fn, options, spend);
  }

  /**
   * Runs a call on `first` and, when it cannot serve, on its fallbacks (the call's own `override`, else
   * the configured lists), as the semantics table says (docs/fallbacks.md). Used by the wrapped clients
   * and the gateway, which know the request's model; `run` sends the call to one target.
   */
  withFallbacks<T>(
    first: ModelTarget,
    override: readonly string[] | undefined,
    run: RunTarget<T>,
  ): Promise<T> {
    const { fallbacks, contextWindowFallbacks, contentPolicyFallbacks } = this.options;
    const configured = [fallbacks, contextWindowFallbacks, contentPolicyFallbacks].some(
      (map) => map[targetName(first)] !== undefined || map[first.model] !== undefined,
    );
    if (!configured && (override === undefined || override.length === 0))
      return run(first, undefined, undefined);
    return runChain({
      first,
      override,
      options: this.options,
      hasProvider: (name) => this.#keys.hasProvider(name),
      emit: (event) => this.#events.emit(event),
      veto: this.#veto,
      run,
    });
  }

  /** Per provider and per key: requests, failures, 429s, tokens, latency, limits in use, health. */
  getUsageStats(): UsageStats {
    const stats = usageStats(
      this.#keys.pools(),
      this.#counters,
      this.#dispatcher.strategy,
      this.options.clock.now(),
    );
    const models = this.#models.size === 0 ? {} : { models: modelStats(this.#models) };
    const offload = this.#offloader && {
      offload: {
        ...this.#offloader.stats,
        openBatches: this.#offloader.openBatches,
        models: this.#offloader.modelStats(),
      },
    };
    return {
      ...stats,
      store: { mode: this.#store.mode },
      spend: this.#spend.snapshot(),
      ...models,
      ...offload,
    };
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
   * `key` is the job's `ctx.key`; `model` the request's, whose limits the headers are about where the
   * provider limits models apart (else the key's). A key removed meanwhile is ignored.
   */
  observeLimitHeaders(key: KeyRef, headers: Headers, model?: string): void {
    this.#keys.observeLimitHeaders(key.provider, key.name, headers, model);
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
    return this.#dispatcher.drain();
  }

  /**
   * Refuses new jobs with `ShutdownError`; jobs not yet started are rejected with it, calls in flight
   * are aborted, and so are the streams of the wrapped clients. Resolves when every accepted job has
   * settled and every stream has given its slot back.
   */
  async close(): Promise<void> {
    this.#health.stop();
    await this.#offloader?.close();
    await this.#dispatcher.close();
    // Every call has settled: this process's slices of shared budgets go back to the store.
    await this.#spend.close();
    // The store and its Redis client stay the caller's: only this multiplexer's listener goes.
    this.#unsubscribeStore();
    if (this.#ownsStore) await this.#store.close();
  }

  /** The `openai` package's client; every request on it is a keymux job on a key chosen by strategy. */
  getOpenAIClient(strategyOrOptions?: ClientOptions): SdkClient<'openai'> {
    return openAIClient(this.#executor, strategyOrOptions);
  }

  /** The `@anthropic-ai/sdk` package's client, multiplexed. */
  getAnthropicClient(strategyOrOptions?: ClientOptions): SdkClient<'anthropic'> {
    return anthropicClient(this.#executor, strategyOrOptions);
  }

  /** The `groq-sdk` package's client, multiplexed. */
  getGroqClient(strategyOrOptions?: ClientOptions): SdkClient<'groq'> {
    return groqClient(this.#executor, strategyOrOptions);
  }

  /** `@google/generative-ai`'s client, multiplexed over the Gemini keys. */
  getGeminiClient(strategyOrOptions?: ClientOptions): SdkClient<'gemini'> {
    return geminiClient(this.#executor, strategyOrOptions);
  }

  /** `@google/genai`'s client (the maintained successor), multiplexed over the same Gemini keys. */
  getGenAIClient(strategyOrOptions?: ClientOptions): SdkClient<'genai'> {
    return genAIClient(this.#executor, strategyOrOptions);
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
    return withKeyRotation(this.#executor, provider, fn, options);
  }

  #assertOpen(): void {
    if (this.#dispatcher.closed) throw new ShutdownError();
  }
}

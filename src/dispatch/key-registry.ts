import type { KeyOptions, KeyRegistryOptions, Strategy, WorkerOptions } from '../config/options.js';
import { validateKeyOptions, validateProviderName } from '../config/resolve.js';
import { ApiKey } from '../core/api-key.js';
import { ConfigError, NoAvailableKeyError } from '../core/errors.js';
import type { EventBus, KeyRef } from '../core/events.js';
import type { PickState } from '../core/pick-state.js';
import { AdaptiveConcurrency } from '../policy/adaptive-concurrency.js';
import { EjectionGuard, KeyHealth } from '../policy/health.js';
import { ModelLimits, RateLimiter } from '../policy/rate-limiter.js';
import type { SharedGate, SharedGateFactory } from '../policy/shared-gate.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import { createGenericAdapter, type GenericAdapterOptions } from '../providers/generic.js';
import { builtinAdapters } from '../providers/index.js';
import { KeyLane } from './key-lane.js';
import type { KeyCheck, KeyWorker } from './key-worker.js';

/**
 * The jobs of a pool that wait for a key (late binding: a job is bound to a key only when that key can
 * start it at once). The dispatcher provides it; the pool only wakes it.
 */
export interface PoolBacklog {
  /** Jobs waiting. */
  readonly size: number;
  /**
   * Something changed that may let a key start a job: a slot freed or limits moved on `worker` (only that
   * key need be looked at), or, without a worker, the pool changed (a key added, reset or enabled).
   */
  wake(worker?: KeyLane): void;
  /** The keys changed (added, removed): what the backlog may hold must be counted again. */
  keysChanged(): void;
}

/** One provider's keys, in the order they were added, with the provider's strategy override. */
export class KeyPool {
  /** Each key's lane, in the order added: what the dispatcher schedules on. */
  readonly lanes: KeyLane[] = [];
  /** Each key's face, in the same order: what the layers above the dispatcher see. */
  readonly workers: KeyWorker[] = [];
  readonly #byName = new Map<string, KeyLane>();
  /** Kept after a key's removal: a check that was running on it ends as it would have. */
  readonly #checks = new WeakMap<KeyWorker, KeyCheck>();
  readonly pickState: PickState = { cursor: 0 };
  strategy: Strategy | undefined;
  /** Set once by the registry: the pool's ceiling on ejected keys. */
  guard: EjectionGuard | undefined;
  /** Jobs of `specific` calls waiting for their key, and jobs pausing between attempts. */
  waiting = 0;
  /** Set by the dispatcher on the pool's first job. */
  backlog: PoolBacklog | undefined;
  #waiters = new Set<() => void>();

  constructor(
    readonly adapter: ProviderAdapter,
    readonly random: () => number,
  ) {}

  get provider(): string {
    return this.adapter.name;
  }

  get(name: string): KeyLane | undefined {
    return this.#byName.get(name);
  }

  /** The key `name` as the layers above the dispatcher see it. */
  worker(name: string): KeyWorker | undefined {
    return this.#byName.get(name)?.worker;
  }

  /** A key of this pool (or one that was) as a health check uses it. */
  check(worker: KeyWorker): KeyCheck | undefined {
    return this.#checks.get(worker);
  }

  add(lane: KeyLane): void {
    this.lanes.push(lane);
    this.workers.push(lane.worker);
    this.#checks.set(lane.worker, lane);
    this.#byName.set(lane.ref.name, lane);
    this.backlog?.keysChanged();
    this.notify();
  }

  /** Takes a key out; its queued jobs go back to the dispatcher. */
  remove(name: string): KeyWorker | undefined {
    const lane = this.#byName.get(name);
    if (!lane) return undefined;
    this.#byName.delete(name);
    this.lanes.splice(this.lanes.indexOf(lane), 1);
    this.workers.splice(this.workers.indexOf(lane.worker), 1);
    lane.evictQueued();
    this.backlog?.keysChanged();
    this.notify();
    return lane.worker;
  }

  /**
   * Calls `wake` once, at the next change that may make a key eligible (a slot freed, a key added, reset
   * or enabled). Returns what cancels it, so a job that stops waiting leaves nothing behind.
   */
  onChange(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }

  /** A change that may let a key take a job: of `worker` alone, or of the pool when none is given. */
  notify(worker?: KeyLane): void {
    this.backlog?.wake(worker);
    if (this.#waiters.size === 0) return;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Jobs waiting in the pool for a key. */
  get backlogSize(): number {
    return this.backlog?.size ?? 0;
  }
}

/** The providers a multiplexer knows, their pools of keys, and the rate buckets of quota groups. */
export class KeyRegistry {
  /** Each key's value, for the duplicate check (it never leaves). */
  readonly #apiKeys = new WeakMap<KeyLane, ApiKey>();
  readonly #adapters = new Map<string, ProviderAdapter>();
  readonly #pools = new Map<string, KeyPool>();
  readonly #groups = new Map<string, KeyLimits>();

  constructor(
    readonly options: KeyRegistryOptions,
    readonly events: EventBus,
    /** Builds a key's gate to the state it shares with other processes; undefined in a process alone. */
    readonly sharedGate?: SharedGateFactory,
  ) {
    for (const adapter of builtinAdapters()) this.#adapters.set(adapter.name, adapter);
  }

  pools(): IterableIterator<KeyPool> {
    return this.#pools.values();
  }

  names(provider: string): string[] {
    return this.#pools.get(provider)?.lanes.map((lane) => lane.name) ?? [];
  }

  hasProvider(name: string): boolean {
    return this.#adapters.has(name);
  }

  /** The provider's one adapter: built in, or the one registerProvider() gave. */
  adapterOf(name: string): ProviderAdapter | undefined {
    return this.#adapters.get(name);
  }

  register<Client>(adapter: ProviderAdapter<Client> | GenericAdapterOptions<Client>): void {
    validateProviderName(adapter.name);
    if (this.#pools.get(adapter.name)?.lanes.length) {
      // Its keys' workers were built with the old adapter.
      throw new ConfigError(
        'provider',
        `"${adapter.name}" already has keys: remove them before registering it again`,
      );
    }
    this.#pools.delete(adapter.name);
    const full = isAdapter(adapter) ? adapter : createGenericAdapter(adapter);
    this.#adapters.set(adapter.name, full as ProviderAdapter);
  }

  /** Validates and adds a key; throws ConfigError on a duplicate name or value. */
  add(provider: string, keyOptions: KeyOptions): KeyWorker {
    const pool = this.pool(provider, true);
    const opts = validateKeyOptions(provider, keyOptions, 'key');
    const name = opts.name ?? this.#freeName(pool);
    if (pool.get(name)) throw new ConfigError('name', `${provider} already has a key named "${name}"`);
    const duplicate = pool.lanes.find((lane) => this.#apiKeys.get(lane)?.reveal() === opts.apiKey);
    if (duplicate) {
      throw new ConfigError('apiKey', `this ${provider} key is already added, as "${duplicate.name}"`);
    }
    const { limiter, models } = this.#limits(pool.adapter, opts);
    const scope = opts.quotaGroup ?? name;
    const key = new ApiKey(name, opts.apiKey);
    const lane = buildWorker({
      provider,
      key,
      keyOptions: opts,
      adapter: pool.adapter,
      limiter,
      models,
      shared: this.sharedGate?.({ provider, key: name, scope, limiter }),
      guard: pool.guard,
      options: this.options,
      events: this.events,
      notify: (scope) => pool.notify(scope === 'pool' ? undefined : lane),
      poolBacklog: () => pool.backlogSize,
    });
    this.#apiKeys.set(lane, key);
    pool.add(lane);
    // Start loading the provider's SDK now, with its first key, rather than for every installed SDK.
    void pool.adapter.ready?.();
    return lane.worker;
  }

  /** The provider's pool; with `create`, made empty for a known provider that has no keys yet. */
  pool(provider: string, create = false): KeyPool {
    let pool = this.#pools.get(provider);
    if (pool) return pool;
    const adapter = this.#adapters.get(provider);
    if (!adapter) {
      throw new ConfigError(
        'provider',
        `unknown provider "${provider}": register it with registerProvider() first`,
      );
    }
    if (!create) throw new NoAvailableKeyError(`${provider} has no keys`, { provider });
    pool = new KeyPool(adapter, this.options.random);
    const lanes = pool.lanes;
    pool.guard = new EjectionGuard(provider, this.options.maxEjectedPercent, () => lanes, this.events);
    this.#pools.set(provider, pool);
    return pool;
  }

  worker(provider: string, name: string): KeyWorker {
    const worker = this.#pools.get(provider)?.worker(name);
    if (!worker) throw new ConfigError('name', `${provider} has no key named "${name}"`);
    return worker;
  }

  /**
   * A raw call's response headers, fed to the key's buckets (see `observeLimitHeaders`), those of the
   * call's `model` where the provider limits models apart; none when the key is gone.
   */
  observeLimitHeaders(provider: string, name: string, headers: Headers, model?: string): void {
    const pool = this.#pools.get(provider);
    const lane = pool?.get(name);
    const scope = model === undefined ? undefined : lane?.scopeOf(model);
    if (pool && lane) observeLimitHeaders(lane, pool.adapter, headers, scope);
  }

  remove(provider: string, name: string): KeyWorker | undefined {
    return this.#pools.get(provider)?.remove(name);
  }

  /** The key's rate-limit state: its own, or its quota group's (one organization's buckets). */
  #limits(adapter: ProviderAdapter, opts: KeyOptions): KeyLimits {
    if (opts.quotaGroup === undefined) return newLimits(adapter, opts);
    const id = `${adapter.name}\u0000${opts.quotaGroup}`;
    let limits = this.#groups.get(id);
    if (!limits) {
      limits = newLimits(adapter, opts);
      this.#groups.set(id, limits);
    }
    return limits;
  }

  #freeName(pool: KeyPool): string {
    let n = pool.lanes.length;
    while (pool.get(`${pool.provider}-${n}`)) n++;
    return `${pool.provider}-${n}`;
  }
}

/** SDK clients a key keeps, one per limit scope (see `buildWorker`). */
const MAX_CLIENTS = 64;

/** A key's (or quota group's) rate-limit state: its own buckets, and its models' where limited apart. */
interface KeyLimits {
  readonly limiter: RateLimiter;
  readonly models: ModelLimits | undefined;
}

function newLimits(adapter: ProviderAdapter, opts: KeyOptions): KeyLimits {
  // A provider that sends limit headers gets a slow start on keys whose limits nobody configured; so does
  // each model of such a key, on its first call.
  const expectsHeaders = adapter.readRateLimits !== undefined;
  const slowStart = expectsHeaders && (opts.limits === undefined || Object.keys(opts.limits).length === 0);
  return {
    limiter: new RateLimiter(opts.limits, expectsHeaders),
    models: adapter.limitScope === undefined ? undefined : new ModelLimits(slowStart),
  };
}

function isAdapter<C>(value: ProviderAdapter<C> | GenericAdapterOptions<C>): value is ProviderAdapter<C> {
  return typeof value.createClient === 'function' && typeof value.classify === 'function';
}

export interface BuildWorkerInput {
  readonly provider: string;
  readonly key: ApiKey;
  readonly keyOptions: KeyOptions;
  readonly adapter: ProviderAdapter;
  readonly limiter: RateLimiter;
  /** Its state per model, where the provider limits models separately (see `ModelLimits`). */
  readonly models?: ModelLimits | undefined;
  readonly guard: EjectionGuard | undefined;
  readonly options: WorkerOptions;
  readonly events: EventBus;
  readonly notify: (scope?: 'pool') => void;
  /** Jobs waiting in the key's pool for any key. */
  readonly poolBacklog?: () => number;
  /** The key's state shared with other processes; undefined in a process alone. */
  readonly shared?: SharedGate | undefined;
}

/** Wires one key's worker: its health, concurrency limit, lazily built SDK client and header feed. */
export function buildWorker(input: BuildWorkerInput): KeyLane {
  const { provider, key, keyOptions, adapter, limiter, options, events, guard } = input;
  const ref: KeyRef = { provider, name: key.name, label: key.label };
  const concurrency = new AdaptiveConcurrency({
    maxConcurrentRequests: keyOptions.maxConcurrentRequests ?? options.maxConcurrentRequests,
    ...(options.maxConcurrencyCeiling === undefined
      ? {}
      : { maxConcurrencyCeiling: options.maxConcurrencyCeiling }),
    // Per ms, as the latencies it multiplies.
    allowedRate: () => worker.allowedRate(),
  });
  concurrency.onChange((limit) =>
    events.emit({ type: 'concurrency-changed', at: options.clock.now(), key: ref, concurrency: limit }),
  );
  // One SDK client per limit scope (a model the provider limits apart; undefined: the key's own), each
  // with a fetch that files its answers' headers under that scope: a call needs no context to say whose
  // headers they are. Made on first use; a scope forgotten past the bound is made again if it comes back.
  const clients = new Map<string | undefined, unknown>();
  const clientOf = (scope: string | undefined): unknown => {
    let client = clients.get(scope);
    if (client === undefined) {
      if (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value);
      const observingFetch: typeof fetch = async (url, init) => {
        const response = await globalThis.fetch(url, init);
        observeLimitHeaders(worker, adapter, response.headers, scope);
        return response;
      };
      client = adapter.createClient({
        apiKey: key.reveal(),
        baseURL: keyOptions.baseURL,
        fetch: observingFetch,
      });
      clients.set(scope, client);
    }
    return client;
  };
  const clock = options.clock;
  const worker: KeyLane = new KeyLane({
    key,
    ref,
    weight: keyOptions.weight ?? 1,
    queueSize: keyOptions.queueSize ?? options.queueSize,
    health: new KeyHealth(options, options.random, keyOptions.enabled ?? true, () =>
      guard ? guard.mayEject(clock.now()) : true,
    ),
    limiter,
    models: input.models,
    limitScope: adapter.limitScope?.bind(adapter),
    concurrency,
    guard,
    clock,
    events,
    client: clientOf,
    classify: (error) => adapter.classify(error),
    chargesEstimate: adapter.chargesEstimate === true,
    attemptTimeoutMs: options.attemptTimeoutMs,
    priorityAgingMs: options.priorityAgingMs,
    ready: () => adapter.ready?.(),
    notify: input.notify,
    poolBacklog: input.poolBacklog,
    shared: input.shared,
  });
  return worker;
}

/**
 * Feeds one response's headers to the key (see KeyLane.observe). The key's SDK client does this for
 * every response through its observing fetch (buildWorker); a raw HTTP call on the key (the
 * gateway's) does it here.
 */
export function observeLimitHeaders(
  worker: KeyLane,
  adapter: ProviderAdapter,
  headers: Headers,
  scope?: string,
): void {
  const readLimits = adapter.readRateLimits;
  // The headers are about the model of the call that got them, where the provider limits models apart.
  if (readLimits) worker.observe(readLimits(headers), scope);
}

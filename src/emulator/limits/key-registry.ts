import { describeIssues, EmulatorConfigError, keySchema, limitsSchema } from '../config/config-schema.js';
import type { EmulatorKey, PoolLimits, ProviderName } from '../config/options.js';
import type { ResolvedKey } from '../config/resolve-options.js';
import { QuotaPool } from './quota-pool.js';

/** The keys the emulator accepts and their pools; keys come and go while it runs. */
export class KeyRegistry {
  readonly #byValue = new Map<string, ResolvedKey>();
  readonly #pools = new Map<string, QuotaPool>();
  readonly #defaults: PoolLimits;
  readonly #configured: Readonly<Record<string, PoolLimits>>;

  constructor(defaults: PoolLimits, configured: Readonly<Record<string, PoolLimits>>) {
    this.#defaults = defaults;
    this.#configured = configured;
  }

  byValue(value: string): ResolvedKey | undefined {
    return this.#byValue.get(value);
  }

  pool(name: string): QuotaPool | undefined {
    return this.#pools.get(name);
  }

  /** The provider a pool's keys are restricted to, if its first key says. */
  providerOf(pool: string): ProviderName | undefined {
    for (const key of this.#byValue.values()) if (key.pool === pool) return key.provider;
    return undefined;
  }

  poolNames(): string[] {
    return [...this.#pools.keys()];
  }

  names(): string[] {
    return [...this.#byValue.values()].map((k) => k.name);
  }

  has(name: string): boolean {
    return this.names().includes(name);
  }

  /**
   * Accepts a key from now on. Its pool is created when new, with `limits` over the configured or default
   * limits; a pool that exists keeps its buckets (and `limits` must then be left out).
   */
  add(key: EmulatorKey, limits?: PoolLimits): ResolvedKey {
    const parsed = keySchema.safeParse(key);
    if (!parsed.success) throw new EmulatorConfigError(`addKey: ${describeIssues(parsed.error)}`);
    const name = parsed.data.name ?? `key-${this.#byValue.size}`;
    if (this.has(name)) throw new EmulatorConfigError(`addKey: duplicate name "${name}"`);
    if (this.#byValue.has(parsed.data.key))
      throw new EmulatorConfigError('addKey: the same key is listed twice');
    const resolved: ResolvedKey = {
      key: parsed.data.key,
      name,
      pool: parsed.data.pool ?? name,
      provider: parsed.data.provider,
    };
    if (this.#pools.has(resolved.pool) && limits !== undefined)
      throw new EmulatorConfigError(`addKey: pool "${resolved.pool}" exists; its limits cannot change`);
    const checked = limitsSchema.safeParse(limits ?? {});
    if (!checked.success) throw new EmulatorConfigError(`addKey limits: ${describeIssues(checked.error)}`);
    this.insert(resolved, checked.data);
    return resolved;
  }

  /** Adds a key already validated (the configured ones, at start). */
  insert(key: ResolvedKey, limits: PoolLimits = {}): void {
    if (!this.#pools.has(key.pool)) {
      const merged = { ...this.#defaults, ...this.#configured[key.pool], ...limits };
      this.#pools.set(key.pool, new QuotaPool(key.pool, merged));
    }
    this.#byValue.set(key.key, key);
  }

  /** Stops accepting the key named `name` (its requests get the provider's 401); its pool stays. */
  remove(name: string): void {
    for (const [value, key] of this.#byValue)
      if (key.name === name) {
        this.#byValue.delete(value);
        return;
      }
    throw new EmulatorConfigError(`removeKey: no key is named "${name}"`);
  }
}

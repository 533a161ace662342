import { EmulatorConfigError, parseEmulatorConfig } from './config-schema.js';
import type {
  BatchSpec,
  EmulatorOptions,
  FaultSpec,
  LatencySpec,
  OutageSpec,
  OverloadSpec,
  PoolLimits,
  ProviderName,
  ScriptStep,
} from './options.js';

export const DEFAULT_LIMITS: PoolLimits = { rpm: 500, tpm: 200_000 };

export interface ResolvedKey {
  readonly key: string;
  readonly name: string;
  readonly pool: string;
  readonly provider: ProviderName | undefined;
}

/** The options once validated and filled in; inner code trusts this shape. */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly keys: readonly ResolvedKey[];
  readonly pools: ReadonlyMap<string, PoolLimits>;
  readonly defaultLimits: PoolLimits;
  readonly configuredPools: Readonly<Record<string, PoolLimits>>;
  readonly overload: OverloadSpec | undefined;
  readonly outages: readonly OutageSpec[];
  readonly latency: LatencySpec;
  readonly outputTokens: { readonly min: number; readonly max: number };
  readonly seed: number;
  readonly faults: readonly FaultSpec[];
  readonly embeddingDimensions: number;
  readonly scripts: Readonly<Record<string, readonly ScriptStep[]>>;
  readonly batches: Required<BatchSpec>;
  readonly now: () => number;
}

const BATCH_DEFAULTS: Required<BatchSpec> = {
  timeScale: 1,
  validatingMs: 1000,
  processingMs: 60_000,
  finalizingMs: 1000,
  failRate: 0,
  expireRate: 0,
};

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const { now, ...config } = options;
  const parsed = parseEmulatorConfig(config);
  const keys = parsed.keys.map((k, index): ResolvedKey => {
    const name = k.name ?? `key-${index}`;
    return { key: k.key, name, pool: k.pool ?? name, provider: k.provider };
  });
  assertUnique(keys);
  for (const name of Object.keys(parsed.scripts ?? {}))
    if (!keys.some((k) => k.name === name))
      throw new EmulatorConfigError(`scripts.${name}: no key is named "${name}"`);
  const defaults = parsed.defaultLimits ?? DEFAULT_LIMITS;
  const pools = new Map<string, PoolLimits>();
  for (const { pool } of keys) pools.set(pool, { ...defaults, ...parsed.pools?.[pool] });
  return {
    port: parsed.port ?? 0,
    host: parsed.host ?? '127.0.0.1',
    keys,
    pools,
    defaultLimits: defaults,
    configuredPools: parsed.pools ?? {},
    overload: parsed.overload,
    outages: parsed.outages ?? [],
    latency: parsed.latency ?? { kind: 'none' },
    outputTokens: parsed.outputTokens ?? { min: 5, max: 20 },
    seed: parsed.seed ?? 1,
    faults: parsed.faults ?? [],
    embeddingDimensions: parsed.embeddingDimensions ?? 64,
    scripts: parsed.scripts ?? {},
    batches: { ...BATCH_DEFAULTS, ...parsed.batches },
    now: now ?? Date.now,
  };
}

function assertUnique(keys: readonly ResolvedKey[]): void {
  const names = new Set<string>();
  const values = new Set<string>();
  keys.forEach((k, index) => {
    if (names.has(k.name)) throw new EmulatorConfigError(`keys[${index}].name: duplicate name "${k.name}"`);
    if (values.has(k.key)) throw new EmulatorConfigError(`keys[${index}].key: the same key is listed twice`);
    names.add(k.name);
    values.add(k.key);
  });
}

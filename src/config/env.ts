import { ConfigError } from '../core/errors.js';
import type { KeyOptions, MultiplexerOptions, RateLimits, Strategy } from './options.js';
import {
  checkOption,
  describe,
  KEY_FIELD_NAMES,
  NUMERIC_OPTIONS,
  parseStrategy,
  telemetryOffIn,
  validateKeyOptions,
} from './resolve.js';

export interface EnvKey {
  readonly provider: string;
  readonly options: KeyOptions;
}

export interface EnvConfig {
  readonly keys: readonly EnvKey[];
  readonly strategies: Readonly<Record<string, Strategy>>;
  readonly options: MultiplexerOptions;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Source {
  readonly provider: string;
  /** Prefix of the per-key settings, the strategy and the base URL. */
  readonly prefix: string;
  /** Prefixes whose keys are read too, after the main one (`CLAUDE_API_KEY` for anthropic). */
  readonly keyPrefixes: readonly string[];
}

const BUILTINS: readonly Source[] = [
  { provider: 'openai', prefix: 'OPENAI', keyPrefixes: ['OPENAI'] },
  { provider: 'anthropic', prefix: 'ANTHROPIC', keyPrefixes: ['ANTHROPIC', 'CLAUDE'] },
  { provider: 'gemini', prefix: 'GEMINI', keyPrefixes: ['GEMINI', 'GOOGLE'] },
  { provider: 'groq', prefix: 'GROQ', keyPrefixes: ['GROQ'] },
];

// Only the plural and numbered forms make another provider: a lone `STRIPE_API_KEY` is some other tool's.
const OTHER_PROVIDER = /^([A-Z][A-Z0-9_]*?)_API_KEY(?:S|_\d+)$/;
const NOT_PROVIDERS: ReadonlySet<string> = new Set(['KEYMUX']);

const LIMIT_SUFFIXES: Readonly<Record<keyof RateLimits, string>> = {
  tpm: 'MAX_TOKENS_PER_MINUTE',
  tpd: 'MAX_TOKENS_PER_DAY',
  rpm: 'MAX_REQUESTS_PER_MINUTE',
  rpd: 'MAX_REQUESTS_PER_DAY',
};
const LIMITS = Object.keys(LIMIT_SUFFIXES) as readonly (keyof RateLimits)[];
const SETTING = new RegExp(`^(.+)_(MODEL|${Object.values(LIMIT_SUFFIXES).join('|')})_(\\d+)$`);

/** The keys, per-provider strategies and multiplexer options the environment describes. */
export function readEnv(env: Env): EnvConfig {
  const keys: EnvKey[] = [];
  const strategies: Record<string, Strategy> = {};
  for (const source of [...BUILTINS, ...otherSources(env)]) {
    const strategyVar = `${source.prefix}_KEY_ROTATION_STRATEGY`;
    const strategy = value(env, strategyVar);
    if (strategy !== undefined) strategies[source.provider] = parseStrategy(strategy, strategyVar);
    keys.push(...readKeys(env, source));
  }
  return { keys, strategies, options: readOptions(env) };
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function otherSources(env: Env): Source[] {
  const taken = new Set(BUILTINS.flatMap((b) => b.keyPrefixes));
  const prefixes = new Set<string>();
  for (const name of Object.keys(env)) {
    const prefix = OTHER_PROVIDER.exec(name)?.[1];
    if (prefix !== undefined && !taken.has(prefix) && !NOT_PROVIDERS.has(prefix)) prefixes.add(prefix);
  }
  return [...prefixes]
    .sort()
    .map((prefix) => ({ provider: prefix.toLowerCase(), prefix, keyPrefixes: [prefix] }));
}

/** Comma list, then single, then numbered (by number), per key prefix; duplicates merged, first wins. */
function keyValues(env: Env, source: Source): string[] {
  const names: string[] = [];
  for (const prefix of source.keyPrefixes) {
    const numbered = Object.keys(env)
      .map((name) => ({ name, n: new RegExp(`^${prefix}_API_KEY_(\\d+)$`).exec(name)?.[1] }))
      .filter((entry): entry is { name: string; n: string } => entry.n !== undefined)
      .sort((a, b) => Number(a.n) - Number(b.n) || a.name.localeCompare(b.name));
    names.push(`${prefix}_API_KEYS`, `${prefix}_API_KEY`, ...numbered.map((entry) => entry.name));
  }
  const seen = new Set<string>();
  for (const name of names) {
    for (const part of (env[name] ?? '').split(',')) {
      const key = part.trim();
      if (key !== '') seen.add(key);
    }
  }
  return [...seen];
}

interface Settings {
  model?: string;
  limits: { -readonly [L in keyof RateLimits]?: number };
}

function readKeys(env: Env, source: Source): EnvKey[] {
  const values = keyValues(env, source);
  if (values.length === 0) return [];
  const settings = readSettings(env, source.prefix, values.length);
  const baseURLVar = `${source.prefix}_BASE_URL`;
  const baseURL = value(env, baseURLVar);
  return values.map((apiKey, index) => {
    const { model, limits } = settings[index] ?? { limits: {} };
    const options: KeyOptions = {
      apiKey,
      name: `${source.provider}-${index}`,
      ...(model === undefined ? {} : { model }),
      ...(Object.keys(limits).length === 0 ? {} : { limits }),
      ...(baseURL === undefined ? {} : { baseURL }),
    };
    const names = { ...KEY_FIELD_NAMES, model: `${source.prefix}_MODEL_${index}`, baseURL: baseURLVar };
    for (const limit of LIMITS) names[limit] = `${source.prefix}_${LIMIT_SUFFIXES[limit]}_${index}`;
    return { provider: source.provider, options: validateKeyOptions(source.provider, options, '', names) };
  });
}

/** Per-index settings (0-based over the merged keys); an index with no key is a mistake worth failing on. */
function readSettings(env: Env, prefix: string, count: number): Settings[] {
  const settings: Settings[] = Array.from({ length: count }, () => ({ limits: {} }));
  for (const name of Object.keys(env)) {
    const match = SETTING.exec(name);
    const raw = value(env, name);
    if (match === null || match[1] !== prefix || raw === undefined) continue;
    const index = Number(match[3]);
    const entry = settings[index];
    if (entry === undefined) {
      const what = count === 1 ? 'one key' : `${count} keys`;
      throw new ConfigError(name, `there is no key at index ${index}: ${prefix} has ${what}, from index 0`);
    }
    const suffix = match[2];
    const limit = LIMITS.find((l) => LIMIT_SUFFIXES[l] === suffix);
    if (limit === undefined) entry.model = raw;
    else entry.limits[limit] = parseNumber(raw, name);
  }
  return settings;
}

function parseNumber(raw: string, name: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw)) {
    throw new ConfigError(name, `Expected \`${name}\` to be a number, got ${describe(raw)}`);
  }
  return Number(raw);
}

/** `maxConcurrentRequests` ↔ `KEYMUX_MAX_CONCURRENT_REQUESTS`. */
function envName(option: string): string {
  return `KEYMUX_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function readOptions(env: Env): MultiplexerOptions {
  const options: { -readonly [O in keyof MultiplexerOptions]: MultiplexerOptions[O] } = {};
  for (const option of NUMERIC_OPTIONS) {
    const name = envName(option);
    const raw = value(env, name);
    if (raw === undefined) continue;
    if (option === 'maxConcurrentRequests' && raw.trim() === 'auto') options.maxConcurrentRequests = 'auto';
    else options[option] = checkOption(option, parseNumber(raw, name), name);
  }
  const strategy = value(env, 'KEYMUX_STRATEGY');
  if (strategy !== undefined) options.strategy = parseStrategy(strategy, 'KEYMUX_STRATEGY');
  if (telemetryOffIn(env)) options.telemetry = false;
  return options;
}

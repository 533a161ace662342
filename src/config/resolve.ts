import { systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import {
  type KeyOptions,
  type MultiplexerOptions,
  type RateLimits,
  type ResolvedOptions,
  STRATEGIES,
  type Strategy,
} from './options.js';

type NumericOption = Exclude<keyof ResolvedOptions, 'strategy' | 'clock' | 'random' | 'logger'>;
interface Rule {
  readonly integer: boolean;
  readonly min: number;
  readonly fallback: number;
  readonly max?: number;
  /** `Infinity` means "none". */
  readonly infinite?: boolean;
}

// Bounds are what the worker and dispatcher can honour: queueSize 0 still admits jobs up to the concurrency limit.
const RULES: Readonly<Record<NumericOption, Rule>> = {
  maxConcurrentRequests: { integer: true, min: 1, fallback: 5 },
  queueSize: { integer: true, min: 0, fallback: 100 },
  initialRetryDelay: { integer: false, min: 0, fallback: 1000 },
  backoffFactor: { integer: false, min: 1, fallback: 2 },
  maxRetryDelay: { integer: false, min: 0, fallback: 60_000 },
  maxRetries: { integer: true, min: 1, fallback: 5 },
  failureThreshold: { integer: true, min: 1, fallback: 3 },
  cooldownMs: { integer: false, min: 0, fallback: 300_000 },
  rateLimitCooldownMs: { integer: false, min: 0, fallback: 60_000 },
  breakerBaseMs: { integer: false, min: 0, fallback: 10_000 },
  maxEjectedPercent: { integer: false, min: 0, max: 100, fallback: 50 },
  attemptTimeoutMs: { integer: false, min: 1, fallback: 180_000, infinite: true },
  priorityAgingMs: { integer: false, min: 1, fallback: 1000, infinite: true },
};

export const NUMERIC_OPTIONS = Object.keys(RULES) as readonly NumericOption[];

type KeyField = Exclude<keyof KeyOptions, 'limits'> | 'limits' | 'rpm' | 'tpm' | 'rpd' | 'tpd';
/** Display paths of the key fields, so a JSON file or env var can be named in its own vocabulary. */
export type KeyFieldNames = Readonly<Record<KeyField, string>>;

export const KEY_FIELD_NAMES: KeyFieldNames = {
  apiKey: 'apiKey',
  name: 'name',
  weight: 'weight',
  limits: 'limits',
  rpm: 'limits.rpm',
  tpm: 'limits.tpm',
  rpd: 'limits.rpd',
  tpd: 'limits.tpd',
  maxConcurrentRequests: 'maxConcurrentRequests',
  queueSize: 'queueSize',
  model: 'model',
  baseURL: 'baseURL',
  tags: 'tags',
  enabled: 'enabled',
  quotaGroup: 'quotaGroup',
};

const LIMIT_FIELDS = ['rpm', 'tpm', 'rpd', 'tpd'] as const;
const KEY_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(KEY_FIELD_NAMES).filter((f) => !(LIMIT_FIELDS as readonly string[]).includes(f)),
);

/**
 * `` `0` (number)``. Long strings are not shown, because a string in the wrong field may well be a key;
 * with `secret` only the type is.
 */
export function describe(value: unknown, secret = false): string {
  if (typeof value === 'string') {
    if (value.trim() === '') return 'an empty string';
    return secret || value.length > 20 ? `a string of ${value.length} characters` : `\`${value}\` (string)`;
  }
  if (value === null || value === undefined) return `\`${value}\``;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' || typeof value === 'function') return `a value of type ${typeof value}`;
  return secret ? `a ${typeof value}` : `\`${String(value)}\` (${typeof value})`;
}

function fail(path: string, expected: string, value: unknown, secret = false): never {
  const field = path.slice(path.lastIndexOf('.') + 1) || path;
  throw new ConfigError(path, `Expected \`${field}\` to be ${expected}, got ${describe(value, secret)}`);
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/** Checks one numeric multiplexer option against its bounds; `path` names it for the error (a field or env var). */
export function checkOption(option: NumericOption, value: unknown, path: string = option): number {
  const { integer, min, max = Number.POSITIVE_INFINITY, infinite = false } = RULES[option];
  if (infinite && value === Number.POSITIVE_INFINITY) return value;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!ok || (integer && !Number.isInteger(value))) {
    const range = Number.isFinite(max) ? `from ${min} to ${max}` : `from ${min} and up`;
    fail(path, `${integer ? 'an integer' : 'a number'} ${range}${infinite ? ' (or Infinity)' : ''}`, value);
  }
  return value as number;
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return names.every((name) => typeof record[name] === 'function');
}

/** Validates once and fills defaults; inner code trusts the result. */
export function resolveOptions(options: MultiplexerOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail('options', 'an object', options);
  const numbers = {} as Record<NumericOption, number>;
  for (const option of NUMERIC_OPTIONS) {
    const value = options[option];
    numbers[option] = value === undefined ? RULES[option].fallback : checkOption(option, value);
  }
  const { clock = systemClock, random = Math.random, logger } = options;
  if (!hasMethods(clock, ['now', 'sleep'])) fail('clock', 'an object with now and sleep functions', clock);
  if (typeof random !== 'function') fail('random', 'a function returning a number in [0, 1)', random);
  if (logger !== undefined && !hasMethods(logger, ['debug', 'info', 'warn', 'error'])) {
    fail('logger', 'an object with debug, info, warn and error functions', logger);
  }
  const strategy =
    options.strategy === undefined ? 'round-robin' : parseStrategy(options.strategy, 'strategy');
  return { ...numbers, strategy, clock, random, logger };
}

// Seed 000 names the LRU strategy in full.
const ALIASES: Readonly<Record<string, Strategy>> = { 'least-recently-used': 'lru' };

/** A strategy name, also in env spelling (`ROUND_ROBIN`, `least_used`). */
export function parseStrategy(value: unknown, path: string): Strategy {
  if (typeof value === 'string') {
    const name = value.trim().toLowerCase().replaceAll('_', '-');
    const found = STRATEGIES.find((s) => s === name) ?? ALIASES[name];
    if (found) return found;
  }
  const names = STRATEGIES.map((s) => `\`${s}\``).join(', ');
  return fail(path, `one of ${names} (underscores allowed)`, value);
}

/** Provider names appear in paths, events and env prefixes, so they stay plain. */
export function validateProviderName(name: unknown, path = 'provider'): string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    fail(path, 'a provider name of lowercase letters, digits, `-` and `_`', name);
  }
  return name;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'a non-empty string', value);
  return value;
}

function positive(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(path, 'a finite number greater than 0', value);
  }
  return value;
}

function count(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(path, `an integer from ${min} and up`, value);
  }
  return value;
}

function url(value: unknown, path: string): string {
  const ok = typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
  if (!ok) fail(path, 'an http(s) URL', value);
  return value as string;
}

function checkLimits(value: unknown, path: string, names: KeyFieldNames): RateLimits {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(join(path, names.limits), 'an object of rpm, tpm, rpd and tpd', value);
  }
  const limits = value as Record<string, unknown>;
  const unknown = Object.keys(limits).find((field) => !(LIMIT_FIELDS as readonly string[]).includes(field));
  if (unknown !== undefined) fail(join(path, names.limits), 'an object of rpm, tpm, rpd and tpd only', value);
  const out: { -readonly [F in (typeof LIMIT_FIELDS)[number]]?: number } = {};
  for (const field of LIMIT_FIELDS) {
    if (limits[field] !== undefined) out[field] = positive(limits[field], join(path, names[field]));
  }
  return out;
}

/** Validates one key's options and returns a normalized copy (the key trimmed). Never echoes the key. */
export function validateKeyOptions(
  provider: string,
  options: KeyOptions,
  path: string,
  names: KeyFieldNames = KEY_FIELD_NAMES,
): KeyOptions {
  if (options === null || typeof options !== 'object')
    fail(path || 'key', `${provider} key options`, options);
  const unknown = Object.keys(options).find((field) => !KEY_FIELDS.has(field));
  if (unknown !== undefined) {
    const shown = /^[A-Za-z_$][\w$]{0,31}$/.test(unknown) ? `\`${unknown}\`` : 'an unknown field';
    throw new ConfigError(
      path,
      `${provider} key options have ${shown}; known: ${[...KEY_FIELDS].join(', ')}`,
    );
  }
  const o = options;
  if (typeof o.apiKey !== 'string' || o.apiKey.trim() === '') {
    fail(join(path, names.apiKey), 'a non-empty string', o.apiKey, true);
  }
  const out: { -readonly [F in keyof KeyOptions]: KeyOptions[F] } = { apiKey: o.apiKey.trim() };
  if (o.name !== undefined) out.name = text(o.name, join(path, names.name));
  // A name is printed everywhere; a key pasted into it would leak.
  if (o.name !== undefined && o.name.trim() === out.apiKey) {
    throw new ConfigError(join(path, names.name), `the name of a ${provider} key must not be the key itself`);
  }
  if (o.weight !== undefined) out.weight = positive(o.weight, join(path, names.weight));
  if (o.limits !== undefined) out.limits = checkLimits(o.limits, path, names);
  if (o.maxConcurrentRequests !== undefined) {
    out.maxConcurrentRequests = count(o.maxConcurrentRequests, join(path, names.maxConcurrentRequests), 1);
  }
  if (o.queueSize !== undefined) out.queueSize = count(o.queueSize, join(path, names.queueSize), 0);
  if (o.model !== undefined) out.model = text(o.model, join(path, names.model));
  if (o.baseURL !== undefined) out.baseURL = url(o.baseURL, join(path, names.baseURL));
  if (o.tags !== undefined) {
    if (!Array.isArray(o.tags) || !o.tags.every((tag) => typeof tag === 'string')) {
      fail(join(path, names.tags), 'an array of strings', o.tags);
    }
    out.tags = [...o.tags];
  }
  if (o.enabled !== undefined) {
    if (typeof o.enabled !== 'boolean') fail(join(path, names.enabled), 'a boolean', o.enabled);
    out.enabled = o.enabled;
  }
  if (o.quotaGroup !== undefined) out.quotaGroup = text(o.quotaGroup, join(path, names.quotaGroup));
  return out;
}

import { systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { MIN_ECHO } from '../core/redact.js';
import { fail } from './describe-value.js';
import { checkFallbackMap } from './fallbacks.js';
import { validateKeyName } from './key-name.js';
import {
  DEFAULTS,
  KNOWN_OPTIONS,
  NUMERIC_OPTIONS,
  type NumericOption,
  numericOk,
  OPTION_RULES,
} from './option-rules.js';
import type { KeyOptions, MultiplexerOptions, RateLimits, ResolvedOptions } from './options.js';
import { checkShares } from './shares.js';
import { parseStrategy } from './strategy.js';
import { closestName } from './suggest.js';

export { describe } from './describe-value.js';
export { NUMERIC_OPTIONS } from './option-rules.js';
export { parseStrategy } from './strategy.js';

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

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/** Checks one numeric multiplexer option against its bounds; `path` names it for the error (a field or env var). */
export function checkOption(option: NumericOption, value: unknown, path: string = option): number {
  const rule = OPTION_RULES[option];
  if (rule.numeric === undefined || !numericOk(rule.numeric, value)) fail(path, rule.expected, value);
  return value as number;
}

const UNSET = {
  healthCheckInterval: undefined,
  maxConcurrencyCeiling: undefined,
} as const;

/** Names other libraries give to our options, for the suggestion. */
const OTHER_NAMES: Readonly<Record<string, string>> = {
  maxConcurrency: 'maxConcurrentRequests',
  concurrency: 'maxConcurrentRequests',
  retries: 'maxRetries',
  maxRetry: 'maxRetries',
  timeout: 'attemptTimeoutMs',
  timeoutMs: 'attemptTimeoutMs',
};

/** Refuses a field keymux does not know (a typo is otherwise a setting silently ignored). */
function rejectUnknown(options: object): void {
  for (const field of Object.keys(options)) {
    if (Object.hasOwn(OPTION_RULES, field)) continue;
    const shown = /^[A-Za-z_$][\w$]{0,39}$/.test(field);
    const near = shown ? closestName(field, KNOWN_OPTIONS, OTHER_NAMES) : undefined;
    const hint = near === undefined ? '' : `: did you mean ${near}?`;
    throw new ConfigError(
      shown ? field : 'options',
      `${shown ? `\`${field}\`` : 'a field'} is not a known option${hint}`,
    );
  }
}

/** `KEYMUX_TELEMETRY=0` (or `false`, `off`). */
export function telemetryOffIn(env: Readonly<Record<string, string | undefined>>): boolean {
  return /^\s*(0|false|off)\s*$/i.test(env.KEYMUX_TELEMETRY ?? '');
}

/** Validates once and fills defaults; inner code trusts the result. */
export function resolveOptions(options: MultiplexerOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail('options', 'an object', options);
  }
  rejectUnknown(options);
  const record = options as Readonly<Record<string, unknown>>;
  for (const [field, rule] of Object.entries(OPTION_RULES)) {
    const value = record[field];
    if (value !== undefined && field !== 'strategy' && !rule.valid(value)) fail(field, rule.expected, value);
  }
  const numbers: Partial<Record<NumericOption, number>> = {};
  for (const option of NUMERIC_OPTIONS) {
    const value = options[option];
    if (typeof value === 'number') numbers[option] = value;
  }
  const { clock = systemClock, random = Math.random, logger, store, telemetry } = options;
  const strategy =
    options.strategy === undefined ? 'round-robin' : parseStrategy(options.strategy, 'strategy');
  return {
    ...UNSET,
    ...DEFAULTS,
    ...numbers,
    maxConcurrentRequests: options.maxConcurrentRequests ?? 'auto',
    strategy,
    clock,
    random,
    logger,
    store,
    fallbacks: checkFallbackMap(options.fallbacks, 'fallbacks'),
    contextWindowFallbacks: checkFallbackMap(options.contextWindowFallbacks, 'contextWindowFallbacks'),
    contentPolicyFallbacks: checkFallbackMap(options.contentPolicyFallbacks, 'contentPolicyFallbacks'),
    shares: checkShares(options.shares, 'shares'),
    // KEYMUX_TELEMETRY=0 turns it off for every multiplexer of the process, whatever the code says.
    telemetry:
      telemetry === false || telemetryOffIn(process.env)
        ? false
        : { captureContent: telemetry?.captureContent ?? false },
  };
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

/**
 * A key travels in an HTTP header (`Authorization: Bearer …`, `x-api-key`): only visible ASCII can.
 * A control character, an inner space or newline, or a non-ASCII character (a pasted smart quote)
 * would fail every request as a "connection error" that looks retryable; refused here, once, without
 * echoing the key: the message gives the kind of character and its position.
 */
function checkHeaderSafe(apiKey: string, path: string, provider: string): void {
  const at = apiKey.search(/[^\x21-\x7e]/);
  if (at < 0) return;
  const code = apiKey.charCodeAt(at);
  const kind =
    code === 0x0a || code === 0x0d
      ? 'a line break'
      : code === 0x20 || code === 0x09
        ? 'a space'
        : code < 0x20 || code === 0x7f
          ? 'a control character'
          : 'a non-ASCII character';
  throw new ConfigError(
    path,
    `this ${provider} key holds ${kind} at position ${at + 1} of ${apiKey.length}: an HTTP header cannot carry it (check how the key was copied)`,
  );
}

/**
 * The whole key, or a run of at least half of it (8 characters at least), inside the name. A key too
 * short to be a real one (a test's `'a'`) only counts when it is the whole name.
 */
function nameHoldsKey(name: string, apiKey: string): boolean {
  if (apiKey.length < MIN_ECHO) return name.trim() === apiKey;
  if (name.includes(apiKey)) return true;
  const run = Math.max(MIN_ECHO, Math.ceil(apiKey.length / 2));
  for (let i = 0; i + run <= apiKey.length; i++) if (name.includes(apiKey.slice(i, i + run))) return true;
  return false;
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
  checkHeaderSafe(out.apiKey, join(path, names.apiKey), provider);
  if (o.name !== undefined) out.name = validateKeyName(o.name, join(path, names.name));
  // A name is printed everywhere; a key pasted into it, whole or in large part, would leak.
  if (o.name !== undefined && nameHoldsKey(o.name, out.apiKey)) {
    throw new ConfigError(join(path, names.name), `the name of a ${provider} key must not contain the key`);
  }
  if (o.weight !== undefined) out.weight = positive(o.weight, join(path, names.weight));
  if (o.limits !== undefined) out.limits = checkLimits(o.limits, path, names);
  if (o.maxConcurrentRequests !== undefined) {
    out.maxConcurrentRequests =
      o.maxConcurrentRequests === 'auto'
        ? 'auto'
        : count(o.maxConcurrentRequests, join(path, names.maxConcurrentRequests), 1);
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

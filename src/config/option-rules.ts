import { isKeyStateStore } from '../core/key-state-store.js';
import type { MultiplexerOptions } from './options.js';

/** Bounds of a numeric option. A duration is in ms, above 0, and may be `Infinity` (no deadline). */
export interface NumericRule {
  readonly integer: boolean;
  readonly min: number;
  /** `min` itself is refused (durations: 0 ms would time out at once). */
  readonly aboveMin?: boolean;
  readonly max?: number;
  readonly infinity?: boolean;
}

/** How one constructor option is checked. `numeric` options can also come from env vars and config files. */
export interface OptionRule {
  readonly expected: string;
  readonly valid: (value: unknown) => boolean;
  readonly numeric?: NumericRule;
}

export function numericOk(rule: NumericRule, value: unknown): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (value === Number.POSITIVE_INFINITY) return rule.infinity === true;
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) return false;
  if (rule.aboveMin ? value <= rule.min : value < rule.min) return false;
  return rule.max === undefined || value <= rule.max;
}

function expectedOf(rule: NumericRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const range =
    rule.max !== undefined
      ? `from ${rule.min} to ${rule.max}`
      : rule.aboveMin
        ? `greater than ${rule.min}`
        : `from ${rule.min} and up`;
  return `${kind} ${range}${rule.infinity ? ', or Infinity' : ''}`;
}

function numeric(rule: NumericRule): OptionRule {
  return { expected: expectedOf(rule), valid: (value) => numericOk(rule, value), numeric: rule };
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function methods(names: readonly string[]): (value: unknown) => boolean {
  return (value) => {
    if (value === null || typeof value !== 'object') return false;
    const record = value as Record<string, unknown>;
    return names.every((name) => typeof record[name] === 'function');
  };
}

/** A duration in ms: above 0; `Infinity` for none where the feature can do without a deadline. */
const duration = (infinity = true): OptionRule =>
  numeric({ integer: false, min: 0, aboveMin: true, infinity });

const isObject = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Defaults of the options every multiplexer resolves to a number (`maxConcurrentRequests`: `'auto'`). */
export const DEFAULTS = {
  queueSize: 100,
  initialRetryDelay: 1000,
  backoffFactor: 2,
  maxRetryDelay: 60_000,
  maxRetries: 5,
  failureThreshold: 3,
  cooldownMs: 300_000,
  rateLimitCooldownMs: 60_000,
  breakerBaseMs: 10_000,
  maxEjectedPercent: 50,
  attemptTimeoutMs: 180_000,
  priorityAgingMs: 1000,
  streamIdleTimeoutMs: 60_000,
  streamFirstByteTimeoutMs: 30_000,
  maxWaitBeforeFallbackMs: 2000,
  maxFallbackPriceRatio: 2,
} as const;

const maxConcurrency: NumericRule = { integer: true, min: 1 };

/**
 * Every constructor option keymux knows, and how it is checked: the one list to extend when an option
 * is added (the type makes a missing entry a compile error). Anything else is refused, with the closest
 * known name suggested. Defaults: `DEFAULTS`, else the feature's own.
 */
export const OPTION_RULES: { readonly [O in keyof Required<MultiplexerOptions>]: OptionRule } = {
  maxConcurrentRequests: {
    expected: `${expectedOf(maxConcurrency)}, or \`'auto'\``,
    valid: (value) => value === 'auto' || numericOk(maxConcurrency, value),
    numeric: maxConcurrency,
  },
  queueSize: numeric({ integer: true, min: 0 }),
  initialRetryDelay: numeric({ integer: false, min: 0 }),
  backoffFactor: numeric({ integer: false, min: 1 }),
  maxRetryDelay: numeric({ integer: false, min: 0 }),
  maxRetries: numeric({ integer: true, min: 1 }),
  failureThreshold: numeric({ integer: true, min: 1 }),
  cooldownMs: numeric({ integer: false, min: 0 }),
  rateLimitCooldownMs: numeric({ integer: false, min: 0 }),
  attemptTimeoutMs: duration(),
  // A stream's deadlines are what releases a stalled stream's slot: they cannot be switched off.
  streamIdleTimeoutMs: duration(false),
  streamFirstByteTimeoutMs: duration(false),
  breakerBaseMs: numeric({ integer: false, min: 0 }),
  priorityAgingMs: duration(),
  // 0 is off (the library's default); the bound is what a timer can wait (setTimeout's 2^31 - 1 ms).
  healthCheckInterval: numeric({ integer: false, min: 0, max: 2 ** 31 - 1 }),
  maxEjectedPercent: numeric({ integer: false, min: 0, max: 100 }),
  maxConcurrencyCeiling: numeric({ integer: true, min: 1 }),
  strategy: { expected: 'a strategy name', valid: (value) => typeof value === 'string' },
  clock: { expected: 'an object with now and sleep functions', valid: methods(['now', 'sleep']) },
  random: { expected: 'a function returning a number in [0, 1)', valid: (v) => typeof v === 'function' },
  logger: {
    expected: 'an object with debug, info, warn and error functions',
    valid: methods(['debug', 'info', 'warn', 'error']),
  },
  store: { expected: 'a store made by memoryStore() or redisStore()', valid: isKeyStateStore },
  // Checked field by field by the spend layer (src/spend/), which names the bad field.
  prices: { expected: 'an object of model prices', valid: isPlainObject },
  budgets: { expected: 'an array of budgets', valid: Array.isArray },
  // Checked field by field by resolveOffloadOptions, which names the bad field.
  batchOffload: { expected: 'an object { minDeadline, maxWait, maxRequests }', valid: isObject },
  // Checked entry by entry by checkFallbackMap, which names the bad entry's path.
  fallbacks: { expected: 'an object of model → models', valid: isObject },
  contextWindowFallbacks: { expected: 'an object of model → models', valid: isObject },
  contentPolicyFallbacks: { expected: 'an object of model → models', valid: isObject },
  maxWaitBeforeFallbackMs: numeric({ integer: false, min: 0, infinity: true }),
  maxFallbackPriceRatio: numeric({ integer: false, min: 1, infinity: true }),
  // Checked tag by tag by checkShares, which names the bad weight's path.
  shares: { expected: 'an object of tag → weight', valid: isObject },
  telemetry: {
    expected: '`false`, or an object such as `{ captureContent: true }`',
    valid: (value) =>
      value === false ||
      (value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.entries(value).every(
          ([field, v]) => field === 'captureContent' && (v === undefined || typeof v === 'boolean'),
        )),
  },
};

export const KNOWN_OPTIONS: readonly string[] = Object.keys(OPTION_RULES);

/** The options that are numbers: env vars (`KEYMUX_QUEUE_SIZE`) and config files can set these. */
export const NUMERIC_OPTIONS = KNOWN_OPTIONS.filter(
  (option) => OPTION_RULES[option as keyof typeof OPTION_RULES].numeric !== undefined,
) as readonly NumericOption[];

export type NumericOption = Exclude<
  keyof MultiplexerOptions,
  | 'strategy'
  | 'clock'
  | 'random'
  | 'logger'
  | 'store'
  | 'fallbacks'
  | 'contextWindowFallbacks'
  | 'contentPolicyFallbacks'
  | 'prices'
  | 'budgets'
  | 'batchOffload'
  | 'shares'
  | 'telemetry'
>;

import { describe, expect, it } from 'vitest';
import type { KeyOptions, Logger, MultiplexerOptions, Strategy } from '../../src/config/options.js';
import {
  parseStrategy,
  resolveOptions,
  validateKeyOptions,
  validateProviderName,
} from '../../src/config/resolve.js';
import { systemClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';

const CANARY = 'sk-canary-DO-NOT-LEAK-1234567890';

/** Runs `fn`, expects a ConfigError, and checks it never carries the canary. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.message).not.toContain(CANARY);
    expect(e.path).not.toContain(CANARY);
    expect(e.message).not.toContain('canary');
    return e;
  }
  throw new Error('expected a ConfigError');
}

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('resolveOptions', () => {
  it('fills every default', () => {
    const o = resolveOptions();
    expect(o).toEqual({
      maxConcurrentRequests: 'auto',
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
      fallbacks: {},
      contextWindowFallbacks: {},
      contentPolicyFallbacks: {},
      shares: {},
      strategy: 'round-robin',
      clock: systemClock,
      random: Math.random,
      logger: undefined,
      telemetry: { captureContent: false },
    });
  });

  it('keeps given values and normalizes the strategy spelling', () => {
    const random = () => 0.5;
    const o = resolveOptions({
      maxConcurrentRequests: 1,
      queueSize: 0,
      backoffFactor: 1.5,
      strategy: 'least_loaded' as Strategy,
      random,
      logger,
    });
    expect(o.maxConcurrentRequests).toBe(1);
    expect(o.queueSize).toBe(0);
    expect(o.backoffFactor).toBe(1.5);
    expect(o.strategy).toBe('least-loaded');
    expect(o.random).toBe(random);
    expect(o.logger).toBe(logger);
  });

  it('fails p-queue style, naming the field', () => {
    const e = configError(() => resolveOptions({ maxConcurrentRequests: 0 }));
    expect(e.path).toBe('maxConcurrentRequests');
    expect(e.code).toBe('CONFIG_ERROR');
    expect(e.message).toContain(
      "Expected `maxConcurrentRequests` to be an integer from 1 and up, or `'auto'`, got `0` (number)",
    );
  });

  it.each([
    ['maxConcurrentRequests', 1.5],
    ['queueSize', -1],
    ['initialRetryDelay', Number.NaN],
    ['backoffFactor', 0.5],
    ['maxRetryDelay', Number.POSITIVE_INFINITY],
    ['maxRetries', 0],
    ['failureThreshold', 2.5],
    ['cooldownMs', -5],
    ['rateLimitCooldownMs', '100'],
    ['streamIdleTimeoutMs', 0],
    ['streamFirstByteTimeoutMs', Number.NaN],
    ['healthCheckInterval', -1],
    ['healthCheckInterval', 2 ** 31],
  ] as const)('rejects %s = %s', (field, value) => {
    const e = configError(() => resolveOptions({ [field]: value } as MultiplexerOptions));
    expect(e.path).toBe(field);
  });

  it('bounds healthCheckInterval by what a timer can wait, saying so', () => {
    const e = configError(() => resolveOptions({ healthCheckInterval: 30 * 86_400_000 }));
    expect(e.message).toContain('Expected `healthCheckInterval` to be a number from 0 to 2147483647');
  });

  it('refuses Infinity for the stream deadlines: they are what frees a stalled stream’s slot', () => {
    expect(configError(() => resolveOptions({ streamIdleTimeoutMs: Number.POSITIVE_INFINITY })).path).toBe(
      'streamIdleTimeoutMs',
    );
    expect(
      configError(() => resolveOptions({ streamFirstByteTimeoutMs: Number.POSITIVE_INFINITY })).path,
    ).toBe('streamFirstByteTimeoutMs');
  });

  it('rejects an unknown strategy, listing the valid ones', () => {
    const e = configError(() => resolveOptions({ strategy: 'fastest' as Strategy }));
    expect(e.path).toBe('strategy');
    expect(e.message).toContain('`least-loaded`');
    expect(e.message).toContain('`fastest`');
  });

  it('requires a logger to have debug, info, warn and error', () => {
    const partial = { info() {}, warn() {}, error() {} } as unknown as Logger;
    expect(configError(() => resolveOptions({ logger: partial })).path).toBe('logger');
  });

  it('requires a clock with now and sleep, and a random function', () => {
    const clock = { now: () => 0 } as unknown as MultiplexerOptions['clock'];
    expect(configError(() => resolveOptions({ clock } as MultiplexerOptions)).path).toBe('clock');
    const random = 0.5 as unknown as () => number;
    expect(configError(() => resolveOptions({ random })).path).toBe('random');
  });
});

describe('parseStrategy', () => {
  it.each([
    ['round-robin', 'round-robin'],
    ['round_robin', 'round-robin'],
    ['ROUND_ROBIN', 'round-robin'],
    ['least_used', 'least-used'],
    ['Least_Loaded', 'least-loaded'],
    [' lru ', 'lru'],
    ['least_recently_used', 'lru'],
    ['weighted', 'weighted'],
    ['specific', 'specific'],
    ['random', 'random'],
  ])('%s → %s', (input, expected) => {
    expect(parseStrategy(input, 'x')).toBe(expected);
  });

  it('rejects other names and non-strings with the given path', () => {
    expect(configError(() => parseStrategy('roundrobin', 'OPENAI_KEY_ROTATION_STRATEGY')).path).toBe(
      'OPENAI_KEY_ROTATION_STRATEGY',
    );
    expect(configError(() => parseStrategy(3, 'strategy')).message).toContain('`round-robin`');
  });

  it('does not echo a long value, which could be a misplaced key', () => {
    configError(() => parseStrategy(CANARY, 'strategy'));
  });
});

describe('validateProviderName', () => {
  it('accepts lowercase letters, digits, - and _', () => {
    expect(validateProviderName('openai')).toBe('openai');
    expect(validateProviderName('azure_openai-2')).toBe('azure_openai-2');
  });

  it.each(['', 'OpenAI', 'open ai', 'a/b', '-x'])('rejects %j', (name) => {
    expect(configError(() => validateProviderName(name)).path).toBe('provider');
  });
});

describe('validateKeyOptions', () => {
  it('returns a normalized copy with the key trimmed', () => {
    const input: KeyOptions = {
      apiKey: `  ${CANARY}\n`,
      name: 'main',
      weight: 2,
      limits: { rpm: 60, tpm: 90_000, rpd: 1000, tpd: 2e6 },
      maxConcurrentRequests: 3,
      queueSize: 0,
      model: 'gpt-4o',
      baseURL: 'http://127.0.0.1:8080/v1',
      tags: ['prod'],
      enabled: false,
      quotaGroup: 'org-1',
    };
    const out = validateKeyOptions('openai', input, 'key');
    expect(out).toEqual({ ...input, apiKey: CANARY });
    expect(out).not.toBe(input);
  });

  it.each<[string, Partial<KeyOptions> | Record<string, unknown>, string]>([
    ['an empty key', { apiKey: '' }, 'key.apiKey'],
    ['a blank key', { apiKey: '   ' }, 'key.apiKey'],
    ['a numeric key', { apiKey: 1234567890123 }, 'key.apiKey'],
    ['an empty name', { name: '' }, 'key.name'],
    ['the key as name', { name: CANARY }, 'key.name'],
    ['a zero weight', { weight: 0 }, 'key.weight'],
    ['a negative limit', { limits: { rpm: -1 } }, 'key.limits.rpm'],
    ['an infinite limit', { limits: { tpd: Number.POSITIVE_INFINITY } }, 'key.limits.tpd'],
    ['a string limit', { limits: { tpm: '100' } }, 'key.limits.tpm'],
    ['an unknown limit', { limits: { requestsPerMinute: 5 } }, 'key.limits'],
    ['a fractional concurrency', { maxConcurrentRequests: 1.5 }, 'key.maxConcurrentRequests'],
    ['a negative queue', { queueSize: -1 }, 'key.queueSize'],
    ['a bad URL', { baseURL: 'not a url' }, 'key.baseURL'],
    ['a non-http URL', { baseURL: 'ftp://example.com' }, 'key.baseURL'],
    ['tags not strings', { tags: [1] }, 'key.tags'],
    ['enabled not boolean', { enabled: 'yes' }, 'key.enabled'],
    ['an empty quota group', { quotaGroup: '' }, 'key.quotaGroup'],
    ['an unknown field', { limit: { rpm: 1 } }, 'key'],
  ])('rejects %s', (_what, patch, path) => {
    const options = { apiKey: CANARY, ...patch } as KeyOptions;
    expect(configError(() => validateKeyOptions('openai', options, 'key')).path).toBe(path);
  });
});

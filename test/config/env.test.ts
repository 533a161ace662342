import { describe, expect, it } from 'vitest';
import { type EnvConfig, readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';

const CANARY = 'sk-canary-DO-NOT-LEAK-1234567890';

function keysOf(config: EnvConfig, provider: string): string[] {
  return config.keys.filter((k) => k.provider === provider).map((k) => k.options.apiKey);
}

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    readEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.message).not.toContain(CANARY);
    expect(e.message).not.toContain('canary');
    expect(e.path).not.toContain(CANARY);
    return e;
  }
  throw new Error('expected a ConfigError');
}

describe('readEnv: keys', () => {
  it('reads a comma list, trimming whitespace and ignoring empty entries', () => {
    const config = readEnv({ OPENAI_API_KEYS: ' sk-a , sk-b,,sk-c ,' });
    expect(keysOf(config, 'openai')).toEqual(['sk-a', 'sk-b', 'sk-c']);
    expect(config.keys.map((k) => k.options.name)).toEqual(['openai-0', 'openai-1', 'openai-2']);
  });

  it('reads a single key', () => {
    expect(readEnv({ GROQ_API_KEY: 'gsk-1' }).keys).toEqual([
      { provider: 'groq', options: { apiKey: 'gsk-1', name: 'groq-0' } },
    ]);
  });

  it('reads numbered keys in numeric order, gaps allowed', () => {
    const config = readEnv({ OPENAI_API_KEY_10: 'k10', OPENAI_API_KEY_2: 'k2', OPENAI_API_KEY_1: 'k1' });
    expect(keysOf(config, 'openai')).toEqual(['k1', 'k2', 'k10']);
  });

  it('merges list, single and numbered in that order; duplicates keep the first', () => {
    const config = readEnv({
      OPENAI_API_KEY_1: 'k-num',
      OPENAI_API_KEY: 'k-single',
      OPENAI_API_KEYS: 'k-a,k-single,k-b',
      OPENAI_API_KEY_2: 'k-a',
    });
    expect(keysOf(config, 'openai')).toEqual(['k-a', 'k-single', 'k-b', 'k-num']);
    expect(config.keys.map((k) => k.options.name)).toEqual(['openai-0', 'openai-1', 'openai-2', 'openai-3']);
  });

  it('ignores empty variables', () => {
    expect(readEnv({ OPENAI_API_KEYS: '', OPENAI_API_KEY: '  ', ANTHROPIC_API_KEY: undefined }).keys).toEqual(
      [],
    );
  });

  it('reads CLAUDE_ keys as anthropic, after the ANTHROPIC_ ones', () => {
    const config = readEnv({ CLAUDE_API_KEY: 'c1', ANTHROPIC_API_KEYS: 'a1,c1', CLAUDE_API_KEYS: 'c2' });
    expect(keysOf(config, 'anthropic')).toEqual(['a1', 'c1', 'c2']);
    expect(config.keys.some((k) => k.provider === 'claude')).toBe(false);
  });

  it('reads GOOGLE_API_KEY as gemini', () => {
    const config = readEnv({ GOOGLE_API_KEY: 'AIza-g', GEMINI_API_KEYS: 'AIza-1' });
    expect(keysOf(config, 'gemini')).toEqual(['AIza-1', 'AIza-g']);
    expect(config.keys.map((k) => k.options.name)).toEqual(['gemini-0', 'gemini-1']);
  });

  it('reads other providers from *_API_KEYS and *_API_KEY_N, not from a lone *_API_KEY', () => {
    const config = readEnv({
      SERP_API_KEYS: 'serp-key1,serp-key2',
      SERP_API_KEY: 'serp-key3',
      AZURE_OPENAI_API_KEY_1: 'az-1',
      STRIPE_API_KEY: 'sk_live_x',
      KEYMUX_API_KEYS: 'not-a-provider',
      lower_api_keys: 'ignored',
    });
    expect(keysOf(config, 'serp')).toEqual(['serp-key1', 'serp-key2', 'serp-key3']);
    expect(keysOf(config, 'azure_openai')).toEqual(['az-1']);
    expect(config.keys.map((k) => k.provider)).toEqual(['azure_openai', 'serp', 'serp', 'serp']);
    expect(config.keys[1]?.options.name).toBe('serp-0');
  });

  it('orders providers: built-ins first, then others by name', () => {
    const config = readEnv({ ZED_API_KEYS: 'z', GROQ_API_KEY: 'g', OPENAI_API_KEY: 'o', ACME_API_KEYS: 'a' });
    expect(config.keys.map((k) => k.provider)).toEqual(['openai', 'groq', 'acme', 'zed']);
  });

  it('keeps the same key under different providers', () => {
    const config = readEnv({ OPENAI_API_KEY: 'same', GROQ_API_KEY: 'same' });
    expect(config.keys).toHaveLength(2);
  });
});

describe('readEnv: per-key settings', () => {
  it('applies model and limits by 0-based index over the merged list (seed 001)', () => {
    const config = readEnv({
      OPENAI_API_KEYS: 'sk-1,sk-2,sk-3',
      OPENAI_MODEL_0: 'gpt-4o',
      OPENAI_MODEL_2: 'gpt-4o-mini',
      OPENAI_MAX_TOKENS_PER_MINUTE_0: '90000',
      OPENAI_MAX_TOKENS_PER_DAY_0: '2000000',
      OPENAI_MAX_REQUESTS_PER_MINUTE_1: '500',
      OPENAI_MAX_REQUESTS_PER_DAY_1: '10000',
      SERP_API_KEYS: 'serp-key1',
      SERP_MAX_TOKENS_PER_MINUTE_0: '100',
    });
    expect(config.keys.map((k) => k.options)).toEqual([
      { apiKey: 'sk-1', name: 'openai-0', model: 'gpt-4o', limits: { tpm: 90_000, tpd: 2_000_000 } },
      { apiKey: 'sk-2', name: 'openai-1', limits: { rpm: 500, rpd: 10_000 } },
      { apiKey: 'sk-3', name: 'openai-2', model: 'gpt-4o-mini' },
      { apiKey: 'serp-key1', name: 'serp-0', limits: { tpm: 100 } },
    ]);
  });

  it('applies the SDK base URL variables to every key of the provider', () => {
    const config = readEnv({
      OPENAI_API_KEYS: 'a,b',
      OPENAI_BASE_URL: 'http://127.0.0.1:4000/v1',
      ANTHROPIC_API_KEY: 'c',
      ANTHROPIC_BASE_URL: 'https://proxy.example.com',
      GROQ_API_KEY: 'd',
      GROQ_BASE_URL: 'http://localhost:1/openai/v1',
      GEMINI_API_KEY: 'e',
      GEMINI_BASE_URL: 'http://localhost:2',
    });
    expect(config.keys.map((k) => [k.options.name, k.options.baseURL])).toEqual([
      ['openai-0', 'http://127.0.0.1:4000/v1'],
      ['openai-1', 'http://127.0.0.1:4000/v1'],
      ['anthropic-0', 'https://proxy.example.com'],
      ['gemini-0', 'http://localhost:2'],
      ['groq-0', 'http://localhost:1/openai/v1'],
    ]);
  });

  it('reads the rotation strategy, underscores and case allowed', () => {
    const config = readEnv({
      OPENAI_API_KEYS: 'a',
      OPENAI_KEY_ROTATION_STRATEGY: 'round_robin',
      GROQ_KEY_ROTATION_STRATEGY: 'LEAST_USED',
      SERP_API_KEYS: 's',
      SERP_KEY_ROTATION_STRATEGY: 'least_loaded',
    });
    expect(config.strategies).toEqual({ openai: 'round-robin', groq: 'least-used', serp: 'least-loaded' });
  });
});

describe('readEnv: KEYMUX_ options', () => {
  it('reads every global option', () => {
    const config = readEnv({
      KEYMUX_MAX_CONCURRENT_REQUESTS: '8',
      KEYMUX_QUEUE_SIZE: '0',
      KEYMUX_INITIAL_RETRY_DELAY: '250',
      KEYMUX_BACKOFF_FACTOR: '1.5',
      KEYMUX_MAX_RETRY_DELAY: '30000',
      KEYMUX_MAX_RETRIES: '7',
      KEYMUX_FAILURE_THRESHOLD: '4',
      KEYMUX_COOLDOWN_MS: '1e4',
      KEYMUX_RATE_LIMIT_COOLDOWN_MS: '5000',
      KEYMUX_HEALTH_CHECK_INTERVAL: '60000',
      KEYMUX_STRATEGY: 'least_loaded',
    });
    expect(config.options).toEqual({
      maxConcurrentRequests: 8,
      queueSize: 0,
      initialRetryDelay: 250,
      backoffFactor: 1.5,
      maxRetryDelay: 30_000,
      maxRetries: 7,
      failureThreshold: 4,
      cooldownMs: 10_000,
      rateLimitCooldownMs: 5000,
      healthCheckInterval: 60_000,
      strategy: 'least-loaded',
    });
    expect(config.keys).toEqual([]);
  });

  it('leaves options unset when the environment says nothing', () => {
    expect(readEnv({})).toEqual({ keys: [], strategies: {}, options: {} });
  });
});

describe('readEnv: errors name the variable and never the key', () => {
  const keys = { OPENAI_API_KEYS: CANARY };

  it.each([
    [
      'a non-numeric limit',
      { ...keys, OPENAI_MAX_TOKENS_PER_MINUTE_0: 'lots' },
      'OPENAI_MAX_TOKENS_PER_MINUTE_0',
    ],
    ['a negative limit', { ...keys, OPENAI_MAX_REQUESTS_PER_DAY_0: '-5' }, 'OPENAI_MAX_REQUESTS_PER_DAY_0'],
    ['a zero limit', { ...keys, OPENAI_MAX_TOKENS_PER_DAY_0: '0' }, 'OPENAI_MAX_TOKENS_PER_DAY_0'],
    [
      'a limit with units',
      { ...keys, OPENAI_MAX_REQUESTS_PER_MINUTE_0: '60/min' },
      'OPENAI_MAX_REQUESTS_PER_MINUTE_0',
    ],
    ['an index with no key', { ...keys, OPENAI_MODEL_1: 'gpt-4o' }, 'OPENAI_MODEL_1'],
    [
      'an unknown strategy',
      { ...keys, OPENAI_KEY_ROTATION_STRATEGY: 'fastest' },
      'OPENAI_KEY_ROTATION_STRATEGY',
    ],
    ['a bad base URL', { ...keys, OPENAI_BASE_URL: 'localhost' }, 'OPENAI_BASE_URL'],
    ['a non-numeric global', { KEYMUX_QUEUE_SIZE: 'big' }, 'KEYMUX_QUEUE_SIZE'],
    ['a negative global', { KEYMUX_COOLDOWN_MS: '-1' }, 'KEYMUX_COOLDOWN_MS'],
    ['a zero concurrency', { KEYMUX_MAX_CONCURRENT_REQUESTS: '0' }, 'KEYMUX_MAX_CONCURRENT_REQUESTS'],
    ['a fractional retry count', { KEYMUX_MAX_RETRIES: '2.5' }, 'KEYMUX_MAX_RETRIES'],
    ['an unknown global strategy', { KEYMUX_STRATEGY: 'best' }, 'KEYMUX_STRATEGY'],
  ])('%s', (_what, env, path) => {
    const e = configError(env);
    expect(e.path).toBe(path);
    expect(e.message).toContain(path);
  });

  it('says what was expected and what was got', () => {
    const e = configError({ ...keys, OPENAI_MAX_TOKENS_PER_MINUTE_0: '-5' });
    expect(e.message).toContain('greater than 0');
    expect(e.message).toContain('`-5`');
  });

  it('does not echo a key pasted into a setting', () => {
    configError({ ...keys, OPENAI_MAX_TOKENS_PER_MINUTE_0: CANARY });
    configError({ ...keys, OPENAI_KEY_ROTATION_STRATEGY: CANARY });
    configError({ ...keys, OPENAI_BASE_URL: CANARY });
  });
});

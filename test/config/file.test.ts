import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../src/config/file.js';
import { ConfigError } from '../../src/core/errors.js';

const CANARY = 'sk-canary-DO-NOT-LEAK-1234567890';

// Seed 004's complete example, with a second provider.
const pool = {
  enabled: true,
  strategy: 'least-loaded',
  healthCheckInterval: 60000,
  providers: {
    anthropic: {
      keys: [
        {
          key: 'sk-ant-api03-key1',
          rateLimit: { requestsPerMinute: 50, tokensPerMinute: 40000, requestsPerDay: 5000 },
          priority: 10,
          enabled: true,
          tags: ['production', 'high-priority'],
        },
      ],
    },
    openai: {
      strategy: 'round_robin',
      keys: [
        {
          key: 'sk-proj-key1',
          name: 'main',
          rateLimit: { requestsPerMinute: 60, tokensPerMinute: 90000, tokensPerDay: 2e6 },
          priority: 5,
          enabled: false,
          tags: ['production'],
          model: 'gpt-4o',
          baseURL: 'http://127.0.0.1:9999/v1',
          quotaGroup: 'org-a',
          maxConcurrentRequests: 2,
          queueSize: 10,
        },
      ],
    },
  },
};

const expected = {
  keys: [
    {
      provider: 'anthropic',
      options: {
        apiKey: 'sk-ant-api03-key1',
        weight: 10,
        limits: { rpm: 50, tpm: 40000, rpd: 5000 },
        enabled: true,
        tags: ['production', 'high-priority'],
      },
    },
    {
      provider: 'openai',
      options: {
        apiKey: 'sk-proj-key1',
        name: 'main',
        weight: 5,
        limits: { rpm: 60, tpm: 90000, tpd: 2e6 },
        enabled: false,
        tags: ['production'],
        model: 'gpt-4o',
        baseURL: 'http://127.0.0.1:9999/v1',
        quotaGroup: 'org-a',
        maxConcurrentRequests: 2,
        queueSize: 10,
      },
    },
  ],
  strategies: { openai: 'round-robin' },
  options: { strategy: 'least-loaded', healthCheckInterval: 60000 },
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    return checked(error);
  }
  throw new Error('expected a ConfigError');
}

function checked(error: unknown): ConfigError {
  expect(error).toBeInstanceOf(ConfigError);
  const e = error as ConfigError;
  expect(e.message).not.toContain(CANARY);
  expect(e.message).not.toContain('canary');
  expect(e.path).not.toContain('canary');
  return e;
}

function withKey(key: Record<string, unknown>): unknown {
  return { providers: { openai: { keys: [{ key: 'sk-ok-0123456789', ...key }] } } };
}

describe('parseConfig', () => {
  it('reads seed 004 with the ApiKeyPool wrapper, ignoring the rest of an app config', () => {
    expect(parseConfig({ ApiKeyPool: pool, server: { port: 3456 } })).toEqual(expected);
  });

  it('reads the same pool without the wrapper', () => {
    expect(parseConfig(pool)).toEqual(expected);
  });

  it('reads the multiplexer options at the top level', () => {
    const config = parseConfig({
      maxConcurrentRequests: 3,
      queueSize: 0,
      initialRetryDelay: 100,
      backoffFactor: 3,
      maxRetryDelay: 5000,
      maxRetries: 2,
      failureThreshold: 5,
      cooldownMs: 1000,
      rateLimitCooldownMs: 2000,
      strategy: 'weighted',
    });
    expect(config).toEqual({
      keys: [],
      strategies: {},
      options: {
        maxConcurrentRequests: 3,
        queueSize: 0,
        initialRetryDelay: 100,
        backoffFactor: 3,
        maxRetryDelay: 5000,
        maxRetries: 2,
        failureThreshold: 5,
        cooldownMs: 1000,
        rateLimitCooldownMs: 2000,
        strategy: 'weighted',
      },
    });
  });

  it('keeps the keys of a disabled pool, out of rotation', () => {
    const config = parseConfig({ ApiKeyPool: { ...pool, enabled: false } });
    expect(config.keys.map((k) => k.options.enabled)).toEqual([false, false]);
  });

  it('trims keys', () => {
    expect(parseConfig(withKey({ key: '  sk-trim-0123456789 ' })).keys[0]?.options.apiKey).toBe(
      'sk-trim-0123456789',
    );
  });
});

describe('parseConfig: errors name the field by its dotted path and never print the key', () => {
  it.each([
    [
      'a non-numeric limit',
      withKey({ rateLimit: { requestsPerMinute: 'many' } }),
      'providers.openai.keys[0].rateLimit.requestsPerMinute',
    ],
    [
      'a negative limit',
      withKey({ rateLimit: { tokensPerDay: -1 } }),
      'providers.openai.keys[0].rateLimit.tokensPerDay',
    ],
    ['a zero priority', withKey({ priority: 0 }), 'providers.openai.keys[0].priority'],
    ['enabled as a string', withKey({ enabled: 'yes' }), 'providers.openai.keys[0].enabled'],
    ['tags as a string', withKey({ tags: 'prod' }), 'providers.openai.keys[0].tags'],
    ['a bad base URL', withKey({ baseURL: 'nowhere' }), 'providers.openai.keys[0].baseURL'],
    [
      'a fractional concurrency',
      withKey({ maxConcurrentRequests: 1.5 }),
      'providers.openai.keys[0].maxConcurrentRequests',
    ],
    ['an unknown key field', withKey({ rateLimits: {} }), 'providers.openai.keys[0].rateLimits'],
    ['an unknown limit field', withKey({ rateLimit: { rpm: 5 } }), 'providers.openai.keys[0].rateLimit.rpm'],
    ['keys not an array', { providers: { openai: { keys: {} } } }, 'providers.openai.keys'],
    ['a provider with no keys field', { providers: { openai: {} } }, 'providers.openai.keys'],
    ['a bad provider name', { providers: { OpenAI: { keys: [] } } }, 'providers'],
    [
      'an unknown provider strategy',
      { providers: { openai: { strategy: 'x', keys: [] } } },
      'providers.openai.strategy',
    ],
    ['an unknown pool strategy', { strategy: 'fastest' }, 'strategy'],
    ['a zero concurrency', { maxConcurrentRequests: 0 }, 'maxConcurrentRequests'],
    ['a string option', { queueSize: '10' }, 'queueSize'],
    ['a wrapper that is not an object', { ApiKeyPool: [] }, ''],
  ])('%s', (_what, config, path) => {
    expect(configError(() => parseConfig(config)).path).toBe(path);
  });

  it('a second key entry is named by its index', () => {
    const config = {
      providers: { openai: { keys: [{ key: 'sk-a-0123456789' }, { key: 'sk-b-0123456789', priority: -2 }] } },
    };
    const e = configError(() => parseConfig(config));
    expect(e.path).toBe('providers.openai.keys[1].priority');
    expect(e.message).toContain(
      'Expected `priority` to be a finite number greater than 0, got `-2` (number)',
    );
  });

  it('an empty or missing key', () => {
    expect(configError(() => parseConfig(withKey({ key: '   ' }))).path).toBe('providers.openai.keys[0].key');
    const missing = configError(() => parseConfig({ providers: { openai: { keys: [{ priority: 1 }] } } }));
    expect(missing.path).toBe('providers.openai.keys[0].key');
    expect(missing.message).toContain('required');
  });

  it('a key of the wrong type is described by type only', () => {
    const e = configError(() => parseConfig(withKey({ key: 1234567890123456 })));
    expect(e.path).toBe('providers.openai.keys[0].key');
    expect(e.message).not.toContain('1234567890123456');
  });

  it('a duplicate key or name, without echoing the key', () => {
    const twice = { providers: { openai: { keys: [{ key: CANARY }, { key: ` ${CANARY}` }] } } };
    expect(configError(() => parseConfig(twice)).path).toBe('providers.openai.keys[1].key');
    const names = {
      providers: {
        openai: {
          keys: [
            { key: 'a'.repeat(12), name: 'n' },
            { key: 'b'.repeat(12), name: 'n' },
          ],
        },
      },
    };
    expect(configError(() => parseConfig(names)).path).toBe('providers.openai.keys[1].name');
  });

  it('never prints the key, whatever the mistake next to it', () => {
    for (const patch of [
      { rateLimit: { requestsPerMinute: 'x' } },
      { priority: -1 },
      { name: CANARY },
      { [CANARY]: true },
      { rateLimit: { [CANARY]: 1 } },
    ]) {
      configError(() => parseConfig({ providers: { openai: { keys: [{ key: CANARY, ...patch }] } } }));
    }
    configError(() => parseConfig({ providers: { [CANARY]: { keys: [] } } }));
    configError(() => parseConfig({ providers: { openai: { keys: [CANARY, CANARY] } } }));
    configError(() => parseConfig({ strategy: CANARY }));
  });
});

describe('loadConfigFile', () => {
  async function file(text: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'keymux-config-'));
    const path = join(dir, 'keymux.json');
    await writeFile(path, text);
    return path;
  }

  async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
    return checked(
      await promise.then(
        () => new Error('expected a ConfigError'),
        (error: unknown) => error,
      ),
    );
  }

  it('reads a JSON file', async () => {
    const path = await file(JSON.stringify({ ApiKeyPool: pool }));
    expect(await loadConfigFile(path)).toEqual(expected);
  });

  it('malformed JSON names the file and the place, not the text', async () => {
    const path = await file(
      `{\n  "providers": { "openai": { "keys": [{ "key": "${CANARY}" "priority": 1 }] } }\n}`,
    );
    const e = await rejection(loadConfigFile(path));
    expect(e.path).toBe(path);
    expect(e.message).toContain('not valid JSON');
    expect(e.message).toContain('line 2');
  });

  it('malformed JSON where V8 would quote the text', async () => {
    const path = await file(`{ "key": ${CANARY} }`);
    const e = await rejection(loadConfigFile(path));
    expect(e.path).toBe(path);
    expect(e.message).not.toContain('sk-c');
  });

  it('a missing file', async () => {
    const path = join(tmpdir(), 'keymux-does-not-exist', 'keymux.json');
    const e = await rejection(loadConfigFile(path));
    expect(e.path).toBe(path);
    expect(e.message).toContain('ENOENT');
  });

  it('a bad field in a file is named by its path in the pool', async () => {
    const path = await file(
      JSON.stringify({
        ApiKeyPool: { providers: { openai: { keys: [{ key: CANARY, priority: 'high' }] } } },
      }),
    );
    const e = await rejection(loadConfigFile(path));
    expect(e.path).toBe('providers.openai.keys[0].priority');
  });
});

describe('parseConfig: shorthand', () => {
  it('accepts bare strings as keys', () => {
    const config = parseConfig({
      providers: { groq: { keys: ['gsk-1-0123456789', { key: 'gsk-2-0123456789' }] } },
    });
    expect(config.keys).toEqual([
      { provider: 'groq', options: { apiKey: 'gsk-1-0123456789' } },
      { provider: 'groq', options: { apiKey: 'gsk-2-0123456789' } },
    ]);
  });

  it('a key entry of another type is described by type only', () => {
    const e = configError(() => parseConfig({ providers: { groq: { keys: [12345] } } }));
    expect(e.path).toBe('providers.groq.keys[0]');
    expect(e.message).not.toContain('12345');
  });
});

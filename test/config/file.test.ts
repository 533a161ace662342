// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` in plain strings is the config syntax under test
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
  // Seed 004's 60 s: health checks at that interval (issue 15).
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

describe('config files: YAML', () => {
  async function file(name: string, text: string): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), 'keymux-config-')), name);
    await writeFile(path, text);
    return path;
  }

  const yaml = `ApiKeyPool:
  enabled: true
  strategy: least-loaded
  healthCheckInterval: 60000
  providers:
    anthropic:
      keys:
        - key: sk-ant-api03-key1
          rateLimit: { requestsPerMinute: 50, tokensPerMinute: 40000, requestsPerDay: 5000 }
          priority: 10
          enabled: true
          tags: [production, high-priority]
    openai:
      strategy: round_robin
      keys:
        - key: sk-proj-key1
          name: main
          rateLimit: { requestsPerMinute: 60, tokensPerMinute: 90000, tokensPerDay: 2000000 }
          priority: 5
          enabled: false
          tags: [production]
          model: gpt-4o
          baseURL: http://127.0.0.1:9999/v1
          quotaGroup: org-a
          maxConcurrentRequests: 2
          queueSize: 10
`;

  it('reads a .yaml or .yml file as the same config as its JSON', async () => {
    expect(await loadConfigFile(await file('keymux.yaml', yaml))).toEqual(expected);
    expect(await loadConfigFile(await file('keymux.yml', yaml))).toEqual(expected);
  });

  it('a YAML syntax error gives the line and column, never the text', async () => {
    const path = await file(
      'keymux.yaml',
      `providers:\n  openai:\n    keys:\n      - key: ${CANARY}\n     bad: [\n`,
    );
    const e = checked(await loadConfigFile(path).catch((error: unknown) => error));
    expect(e.path).toBe(path);
    expect(e.message).toMatch(/not valid YAML: [a-z ]+ at line \d+, column \d+$/);
  });

  it('a bad field in a YAML file is named by its path, as in JSON', async () => {
    const path = await file(
      'keymux.yml',
      `providers:\n  openai:\n    keys:\n      - key: ${CANARY}\n        priority: high\n`,
    );
    const e = checked(await loadConfigFile(path).catch((error: unknown) => error));
    expect(e.path).toBe('providers.openai.keys[0].priority');
  });
});

describe('config files: ${VAR} from the environment', () => {
  const env = { OPENAI_KEY_A: 'sk-from-env-0123456789', HOST: '127.0.0.1:9999' };

  it('replaces ${NAME} in any string, and $${ is a literal ${', () => {
    const config = parseConfig(
      {
        providers: {
          openai: {
            keys: [{ key: '${OPENAI_KEY_A}', name: 'cost-$${x}', baseURL: 'http://${HOST}/v1' }],
          },
        },
      },
      env,
    );
    expect(config.keys[0]?.options).toEqual({
      apiKey: 'sk-from-env-0123456789',
      name: 'cost-${x}',
      baseURL: 'http://127.0.0.1:9999/v1',
    });
  });

  it('an unset variable is an error at its field, naming the variable', () => {
    const e = configError(() =>
      parseConfig({ providers: { openai: { keys: ['${NOT_SET_ANYWHERE}'] } } }, env),
    );
    expect(e.path).toBe('providers.openai.keys[0]');
    expect(e.message).toContain('`${NOT_SET_ANYWHERE}` is not set in the environment');
  });

  it('reads the environment in a file too', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'keymux-config-')), 'keymux.json');
    await writeFile(path, JSON.stringify({ providers: { openai: { keys: ['${OPENAI_KEY_A}'] } } }));
    expect((await loadConfigFile(path, env)).keys[0]?.options.apiKey).toBe('sk-from-env-0123456789');
  });
});

describe('config files: provider-level baseURL and "did you mean"', () => {
  it('a provider baseURL applies to its keys that do not give their own', () => {
    const config = parseConfig({
      providers: {
        openai: {
          baseURL: 'http://127.0.0.1:8787/v1',
          keys: ['sk-one-0123456789', { key: 'sk-two-0123456789', baseURL: 'http://127.0.0.1:9/v1' }],
        },
      },
    });
    expect(config.keys.map((k) => k.options.baseURL)).toEqual([
      'http://127.0.0.1:8787/v1',
      'http://127.0.0.1:9/v1',
    ]);
    const bad = configError(() =>
      parseConfig({ providers: { openai: { baseURL: 'nowhere', keys: ['sk-x-0123456789'] } } }),
    );
    expect(bad.path).toBe('providers.openai.keys[0].baseURL');
  });

  it.each([
    ['a key field', withKey({ baseUrl: 'http://x' }), 'providers.openai.keys[0].baseUrl', 'baseURL'],
    [
      'a limit field',
      withKey({ rateLimit: { requestsPerMinut: 5 } }),
      'providers.openai.keys[0].rateLimit.requestsPerMinut',
      'requestsPerMinute',
    ],
    [
      'a provider field',
      { providers: { openai: { keys: [], stratgy: 'random' } } },
      'providers.openai.stratgy',
      'strategy',
    ],
    ['a pool field', { queueSise: 5 }, 'queueSise', 'queueSize'],
  ])('suggests the known name for a misspelt %s', (_what, config, path, guess) => {
    const e = configError(() => parseConfig(config));
    expect(e.path).toBe(path);
    expect(e.message).toContain(`did you mean ${guess}?`);
  });
});

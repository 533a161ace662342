import { describe, expect, it } from 'vitest';
import { ConfigError, Multiplexer, NoAvailableKeyError } from '../src/index.js';

describe('Multiplexer configuration', () => {
  it('fromEnv adds every key of the environment with its settings and strategy', () => {
    const mux = Multiplexer.fromEnv({
      OPENAI_API_KEYS: 'sk-one-000000000000,sk-two-000000000000, ,sk-one-000000000000',
      OPENAI_MAX_REQUESTS_PER_MINUTE_1: '500',
      OPENAI_KEY_ROTATION_STRATEGY: 'least_used',
      GROQ_API_KEY_1: 'gsk-groq-00000000000',
      SERP_API_KEYS: 'serp-a-000000000000',
      KEYMUX_MAX_CONCURRENT_REQUESTS: '7',
    });
    expect(mux.keyNames('openai')).toEqual(['openai-0', 'openai-1']);
    expect(mux.keyNames('groq')).toHaveLength(1);
    expect(mux.keyNames('serp')).toHaveLength(1);
    const stats = mux.getUsageStats().providers;
    expect(stats.openai!.strategy).toBe('least-used');
    expect(stats.openai!.keys[1]!.limits.rpm?.limit).toBe(500);
    expect(stats.openai!.keys[0]!.concurrency).toBe(7);
    expect(JSON.stringify(stats)).not.toContain('sk-one-000000000000');
  });

  it('fromConfig reads seed 004’s shape, as an object or a JSON file', async () => {
    const config = {
      ApiKeyPool: {
        strategy: 'least-loaded',
        providers: {
          anthropic: {
            keys: [
              {
                key: 'sk-ant-a-000000000000',
                rateLimit: { requestsPerMinute: 50, tokensPerMinute: 40000 },
                priority: 10,
              },
              { key: 'sk-ant-b-000000000000', enabled: false, tags: ['backup'] },
            ],
          },
        },
      },
    };
    const mux = Multiplexer.fromConfig(config);
    const keys = mux.getUsageStats().providers.anthropic!.keys;
    expect(keys.map((k) => [k.state, k.weight, k.limits.rpm?.limit])).toEqual([
      ['healthy', 10, 50],
      ['disabled', 1, undefined],
    ]);
    expect(mux.options.strategy).toBe('least-loaded');
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'keymux-'));
    await writeFile(join(dir, 'keymux.json'), JSON.stringify(config));
    const fromFile = await Multiplexer.fromConfig(join(dir, 'keymux.json'));
    expect(fromFile.keyNames('anthropic')).toHaveLength(2);
    await writeFile(join(dir, 'bad.json'), '{ "providers": ');
    await expect(Multiplexer.fromConfig(join(dir, 'bad.json'))).rejects.toBeInstanceOf(ConfigError);
  });

  it('setStrategy changes the default, or one provider’s', () => {
    const mux = new Multiplexer();
    mux.addKey('openai', { apiKey: 'sk-aaaa-000000000000' });
    mux.addKey('groq', { apiKey: 'gsk-aaaa-00000000000' });
    mux.setStrategy('least_loaded' as never);
    mux.setStrategy('lru', 'groq');
    const stats = mux.getUsageStats().providers;
    expect([stats.openai!.strategy, stats.groq!.strategy]).toEqual(['least-loaded', 'lru']);
    expect(mux.options.strategy).toBe('round-robin');
  });

  it('any keyed API: registerProvider with a name only hands the key to execute', async () => {
    const mux = new Multiplexer();
    mux.registerProvider({ name: 'search' });
    mux.addKey('search', { name: 's1', apiKey: 'search-key-1-000000' });
    await expect(
      mux.execute('search', async (key) => `called with ${String(key).length} chars`),
    ).resolves.toBe('called with 19 chars');
    const rotated = mux.withKeyRotation(
      'search',
      async (apiKey: string, q: string) => `${q}:${apiKey.slice(0, 6)}`,
    );
    await expect(rotated('cats')).resolves.toBe('cats:search');
  });

  it('rejects bad input with ConfigError naming the field', async () => {
    const mux = new Multiplexer();
    expect(() => new Multiplexer({ maxConcurrentRequests: 0 })).toThrow(ConfigError);
    expect(() => mux.addKey('openai', { apiKey: '  ' })).toThrow(ConfigError);
    mux.addKey('openai', { name: 'a', apiKey: 'sk-aaaa-000000000000' });
    expect(() => mux.addKey('openai', { name: 'a', apiKey: 'sk-bbbb-000000000000' })).toThrow(/named "a"/);
    expect(() => mux.addKey('nope', { apiKey: 'sk-cccc-000000000000' })).toThrow(/unknown provider/);
    expect(() => mux.setStrategy('fastest' as never)).toThrow(ConfigError);
    await expect(
      mux.execute('openai', async () => 1, { strategy: 'specific', keyName: 'zz' }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(mux.execute('anthropic', async () => 1)).rejects.toBeInstanceOf(NoAvailableKeyError);
  });

  it('removing a key keeps its queued jobs: they move to another key', async () => {
    const mux = new Multiplexer({ maxConcurrentRequests: 1 });
    mux.registerProvider({ name: 'svc' });
    mux.addKey('svc', { name: 'a', apiKey: 'svc-key-a-000000000' });
    mux.addKey('svc', { name: 'b', apiKey: 'svc-key-b-000000000' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[] = [];
    const jobs = Array.from({ length: 4 }, () =>
      mux.execute('svc', async (key) => {
        seen.push(String(key).slice(8, 9));
        await gate;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(mux.removeKey('svc', 'a')).toBe(true);
    release();
    await Promise.all(jobs);
    expect(seen.filter((k) => k === 'a')).toHaveLength(1);
    expect(seen.filter((k) => k === 'b')).toHaveLength(3);
  });
});

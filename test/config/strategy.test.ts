import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseConfig } from '../../src/config/file.js';
import type { Strategy } from '../../src/config/options.js';
import { parseStrategy, resolveOptions } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';

const SPELLINGS: Array<[string, Strategy]> = [
  ['least_loaded', 'least-loaded'],
  ['Round-Robin', 'round-robin'],
  ['LEAST-USED', 'least-used'],
  ['ROUND_ROBIN', 'round-robin'],
  [' weighted ', 'weighted'],
  ['least_recently_used', 'lru'],
];

describe('strategy spellings are accepted the same way everywhere', () => {
  it.each(SPELLINGS)('%s → %s in every entry point', async (spelling, canonical) => {
    expect(parseStrategy(spelling, 'strategy')).toBe(canonical);
    expect(resolveOptions({ strategy: spelling as Strategy }).strategy).toBe(canonical);
    expect(readEnv({ KEYMUX_STRATEGY: spelling }).options.strategy).toBe(canonical);
    expect(parseConfig({ strategy: spelling }).options.strategy).toBe(canonical);
    const mux = new Multiplexer();
    mux.addKey('openai', { name: 'a', apiKey: 'sk-test-aaaaaaaaaaaaaaaa' });
    mux.setStrategy(spelling as Strategy);
    mux.setStrategy(spelling as Strategy, 'openai');
    expect(mux.getUsageStats().providers.openai?.strategy).toBe(canonical);
    // Per call: the job is accepted and runs.
    const result = await mux.execute('openai', async () => 'ok', { strategy: spelling as Strategy });
    expect(result).toBe('ok');
    await mux.close();
  });

  it('an unknown name is a ConfigError listing the valid names, with a suggestion', () => {
    try {
      parseStrategy('least-load', 'strategy');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const name of [
        'round-robin',
        'least-loaded',
        'least-used',
        'weighted',
        'lru',
        'random',
        'specific',
      ])
        expect(message).toContain(`\`${name}\``);
      expect(message).toContain('did you mean least-loaded?');
    }
  });

  it('a key passed as a strategy by mistake is never echoed', () => {
    const key = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4';
    expect(() => parseStrategy(key, 'strategy')).toThrow(ConfigError);
    try {
      parseStrategy(key, 'strategy');
    } catch (error) {
      expect((error as Error).message).not.toContain('Zx9Qw8Er');
      expect((error as Error).message).toContain('a string of 26 characters');
    }
  });
});

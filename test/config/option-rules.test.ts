import { describe, expect, it } from 'vitest';
import { DEFAULTS, KNOWN_OPTIONS, OPTION_RULES } from '../../src/config/option-rules.js';
import type { MultiplexerOptions } from '../../src/config/options.js';
import { resolveOptions } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { memoryStore } from '../../src/store/memory-store.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('constructor options: unknown ones are refused', () => {
  it('a typo names the field and suggests the close match', () => {
    const e = configError(() => new Multiplexer({ maxConcurency: 4 } as MultiplexerOptions));
    expect(e.path).toBe('maxConcurency');
    expect(e.message).toContain('did you mean maxConcurrentRequests?');
  });

  it.each([
    ['maxRetry', 'maxRetries'],
    ['cooldownMS', 'cooldownMs'],
    ['stratgy', 'strategy'],
    ['attemptTimeout', 'attemptTimeoutMs'],
  ])('%s suggests %s', (typo, known) => {
    expect(configError(() => resolveOptions({ [typo]: 1 } as MultiplexerOptions)).message).toContain(
      `did you mean ${known}?`,
    );
  });

  it('a field far from every known name gets no suggestion, and a strange field name is not echoed', () => {
    expect(configError(() => resolveOptions({ zzzzqqqq: 1 } as MultiplexerOptions)).message).not.toContain(
      'did you mean',
    );
    const odd = 'sk-live 0123456789abcdef0123456789';
    const e = configError(() => resolveOptions({ [odd]: 1 } as MultiplexerOptions));
    expect(e.message).not.toContain(odd);
    expect(e.path).toBe('options');
  });

  it('the known set is the one table, and names the options other parts add', () => {
    for (const name of [
      'attemptTimeoutMs',
      'streamIdleTimeoutMs',
      'streamFirstByteTimeoutMs',
      'breakerBaseMs',
      'maxEjectedPercent',
      'priorityAgingMs',
      'healthCheckInterval',
      'maxConcurrencyCeiling',
      'store',
    ]) {
      expect(KNOWN_OPTIONS).toContain(name);
    }
    expect(KNOWN_OPTIONS).toEqual(Object.keys(OPTION_RULES));
  });
});

describe('constructor options: new options are validated', () => {
  it.each(['attemptTimeoutMs', 'priorityAgingMs'] as const)(
    '%s takes a positive number of ms or Infinity',
    (field) => {
      expect(resolveOptions({ [field]: 1500 })[field]).toBe(1500);
      expect(resolveOptions({ [field]: Number.POSITIVE_INFINITY })[field]).toBe(Number.POSITIVE_INFINITY);
      expect(resolveOptions({})[field]).toBe(DEFAULTS[field]);
      for (const bad of [0, -1, Number.NaN, '1000', null]) {
        const e = configError(() => resolveOptions({ [field]: bad } as MultiplexerOptions));
        expect(e.path).toBe(field);
        expect(e.message).toContain('greater than 0, or Infinity');
      }
    },
  );

  it.each(['streamIdleTimeoutMs', 'streamFirstByteTimeoutMs'] as const)(
    '%s takes a positive number of ms (a stalled stream must end)',
    (field) => {
      expect(resolveOptions({ [field]: 1500 })[field]).toBe(1500);
      expect(resolveOptions({})[field]).toBe(DEFAULTS[field]);
      for (const bad of [0, Number.POSITIVE_INFINITY, Number.NaN, '1000']) {
        expect(configError(() => resolveOptions({ [field]: bad } as MultiplexerOptions)).path).toBe(field);
      }
    },
  );

  it('maxEjectedPercent is 0–100', () => {
    expect(resolveOptions({ maxEjectedPercent: 0 }).maxEjectedPercent).toBe(0);
    expect(resolveOptions({}).maxEjectedPercent).toBe(50);
    expect(resolveOptions({ maxEjectedPercent: 100 }).maxEjectedPercent).toBe(100);
    expect(configError(() => resolveOptions({ maxEjectedPercent: 101 })).message).toContain('from 0 to 100');
    expect(configError(() => resolveOptions({ maxEjectedPercent: -1 })).path).toBe('maxEjectedPercent');
  });

  it("maxConcurrentRequests is a whole number from 1, or 'auto'", () => {
    expect(resolveOptions({ maxConcurrentRequests: 'auto' }).maxConcurrentRequests).toBe('auto');
    expect(resolveOptions().maxConcurrentRequests).toBe('auto');
    expect(resolveOptions({ maxConcurrentRequests: 7 }).maxConcurrentRequests).toBe(7);
    const e = configError(() => resolveOptions({ maxConcurrentRequests: 'max' as 'auto' }));
    expect(e.message).toContain("or `'auto'`");
  });

  it('maxConcurrencyCeiling is a whole number from 1; a store is one made by keymux; metrics is no option', () => {
    expect(configError(() => resolveOptions({ maxConcurrencyCeiling: 1.5 })).path).toBe(
      'maxConcurrencyCeiling',
    );
    const store = memoryStore();
    expect(resolveOptions({ store }).store).toBe(store);
    expect(configError(() => resolveOptions({ store: {} as typeof store })).path).toBe('store');
    const metrics = configError(() => resolveOptions({ metrics: 'prom' } as object));
    expect(metrics.path).toBe('metrics');
    expect(metrics.message).toContain('`metrics` is not a known option');
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/file.js';
import { resolveOptions } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';

describe('shares', () => {
  it('takes tag → weight, frozen, with no prototype in the way', () => {
    const { shares } = resolveOptions({ shares: { 'team-a': 3, 'team-b': 0.5, constructor: 2 } });
    expect({ ...shares }).toEqual({ 'team-a': 3, 'team-b': 0.5, constructor: 2 });
    expect(Object.isFrozen(shares)).toBe(true);
  });

  it.each([
    [[1, 2], 'shares', /Expected `shares` to be an object of tag → weight/],
    [{ 'team-a': 0 }, 'shares.team-a', /a weight: a finite number above 0, got `0`/],
    [{ 'team-a': '3' }, 'shares.team-a', /got `3` \(string\)/],
    [{ 'team-a': Number.POSITIVE_INFINITY }, 'shares.team-a', /Infinity/],
    [{ ' ': 1 }, 'shares', /a tag name is empty/],
  ])('refuses %j with a ConfigError at %s', (shares, path, message) => {
    const error = (() => {
      try {
        resolveOptions({ shares: shares as never });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
    expect((error as Error).message).toMatch(message);
  });

  it('a config file may set them, checked the same way', () => {
    expect(parseConfig({ shares: { batch: 1, interactive: 4 } }).options.shares).toEqual({
      batch: 1,
      interactive: 4,
    });
    expect(() => parseConfig({ shares: { batch: -1 } })).toThrow(/shares\.batch/);
    const mux = Multiplexer.fromConfig({ shares: { batch: 1, interactive: 4 } }) as Multiplexer;
    expect({ ...mux.options.shares }).toEqual({ batch: 1, interactive: 4 });
  });
});

import { describe, expect, it } from 'vitest';
import { validateKeyName } from '../../src/config/key-name.js';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';

describe('key names: 1 to 100 printable ASCII characters, checked where keys enter', () => {
  it.each([
    ['a non-Latin-1 character', 'key-✓', /non-ASCII character \(U\+2713\) at position 5/],
    ['a Latin-1 letter', 'naïve', /non-ASCII character \(U\+00EF\) at position 3/],
    ['CR/LF', 'a\r\nX-Injected: 1', /a line break at position 2/],
    ['a tab', 'tab\there', /control character \(U\+0009\)/],
    ['a space at one end', ' padded', /a space at one end/],
    ['101 characters', 'x'.repeat(101), /got 101 characters/],
    ['nothing', '', /got 0 characters/],
    ['no string', 42, /got number/],
  ])('refuses %s, with a typed error naming the field', (_what, name, message) => {
    expect(() => validateKeyName(name, 'providers.openai.keys[2].name')).toThrow(ConfigError);
    expect(() => validateKeyName(name, 'providers.openai.keys[2].name')).toThrow(message);
    try {
      validateKeyName(name, 'providers.openai.keys[2].name');
    } catch (error) {
      expect((error as ConfigError).path).toBe('providers.openai.keys[2].name');
    }
  });

  it('takes what a header and a metric label can carry; addKey and config files check (env keys get generated names)', async () => {
    expect(validateKeyName('prod key #1 (EU)', 'name')).toBe('prod key #1 (EU)');
    const mux = new Multiplexer();
    expect(() => mux.addKey('openai', { name: 'é', apiKey: 'sk-test-0000000000000000' })).toThrow(
      expect.objectContaining({ path: 'key.name' }),
    );
    await mux.close();
    expect(() =>
      Multiplexer.fromConfig({
        providers: { openai: { keys: [{ key: 'sk-test-1111111111111111', name: 'clé' }] } },
      }),
    ).toThrow(expect.objectContaining({ path: 'providers.openai.keys[0].name' }));
  });
});

import { describe, expect, it } from 'vitest';
import { containsEcho, SecretScrubber, scrub, scrubError } from '../../src/core/redact.js';

const KEY = 'sk-canaryQWERTYUIOPASDFGH1234';

describe('scrub: any run of 8 or more characters of a key', () => {
  it.each([
    ['the whole key', `key ${KEY} here`, 'key sk-c…1234 here'],
    [
      'all but the last 4',
      'Incorrect API key provided: sk-canaryQWERTYUIOPASDFGH****.',
      'Incorrect API key provided: sk-c…1234****.',
    ],
    ['a prefix of 8', 'got sk-canar…', 'got sk-c…1234…'],
    ['a suffix', 'key ending in ****OPASDFGH1234', 'key ending in ****sk-c…1234'],
    ['a middle run', 'xx QWERTYUIOP xx', 'xx sk-c…1234 xx'],
    ['two echoes', `${KEY} and ${KEY.slice(0, 12)}`, 'sk-c…1234 and sk-c…1234'],
  ])('%s', (_, text, expected) => {
    expect(scrub(text, [KEY])).toBe(expected);
  });

  it('leaves runs of 7 or fewer characters, and unrelated text, alone', () => {
    expect(scrub('sk-cana and QWERTYU', [KEY])).toBe('sk-cana and QWERTYU');
    expect(containsEcho('nothing to see', KEY)).toBe(false);
    expect(scrub('', [KEY])).toBe('');
  });

  it('scrubs errors in place, nested messages included', () => {
    const error = Object.assign(new Error(`bad key sk-canaryQWERTYUIOP****`), {
      error: { message: 'Incorrect API key provided: ****YUIOPASDFGH1234' },
    });
    scrubError(error, KEY);
    expect(error.message).toBe('bad key sk-c…1234****');
    expect(error.stack).not.toContain('canaryQW');
    expect(error.error.message).not.toContain('PASDFGH1');
  });

  it('with many keys, masks each echo with its own key’s label, in one pass over the text', () => {
    let seed = 7;
    const char = (): string => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[(seed >>> 16) % 62]!;
    };
    // Random keys, as real ones are: no run of 8 shared between two of them.
    const keys = Array.from({ length: 50 }, () => `sk-${Array.from({ length: 40 }, char).join('')}`);
    const text = `${'lorem ipsum '.repeat(20_000)}[${keys[49]!.slice(0, 12)}] [${keys[7]!.slice(-10)}]`;
    const out = scrub(text, keys);
    const label = (key: string): string => `${key.slice(0, 4)}…${key.slice(-4)}`;
    expect(out.endsWith(`[${label(keys[49]!)}] [${label(keys[7]!)}]`)).toBe(true);
    expect(out.startsWith('lorem ipsum lorem')).toBe(true);
  });
});

describe('SecretScrubber: one scrubber for every key a process holds', () => {
  it('masks 8+ characters of any key it was given, in text and in JSON values', () => {
    const other = 'gsk-otherKEYzxcvbnmlkjhg5678';
    const scrubber = new SecretScrubber();
    expect(scrubber.scrub(`key ${KEY}`)).toBe(`key ${KEY}`);
    scrubber.add(KEY);
    scrubber.add(other);
    scrubber.add(KEY);
    expect(scrubber.size).toBe(2);
    expect(scrubber.scrub(`a ${KEY.slice(0, 12)}… b ${other.slice(4, 14)}`)).toBe('a sk-c…1234… b gsk-…5678');
    const body = { error: { message: `bad key ${KEY.slice(3, 20)}****`, param: other } };
    const clean = scrubber.scrubJson(body);
    expect(JSON.stringify(clean)).not.toContain(KEY.slice(3, 11));
    expect(clean).toEqual({ error: { message: 'bad key sk-c…1234****', param: 'gsk-…5678' } });
    expect(scrubber.scrubJson({ fine: 'nothing here' })).toEqual({ fine: 'nothing here' });
  });
});

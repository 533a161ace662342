import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/file.js';
import type { Logger } from '../../src/config/options.js';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

const CANARY = 'sk-canaryQWERTYUIOPASDFGH1234';

/** Every run of 8 characters of the canary found in `text`. */
function leaks(text: string, secret = CANARY): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  }
  return found;
}

function dump(value: unknown): string {
  return `${inspect(value, { depth: 8, showHidden: true })}\n${JSON.stringify(value, (_, v) =>
    v instanceof Error ? { message: v.message, stack: v.stack, cause: v.cause } : v,
  )}`;
}

describe('a provider echoing part of a key', () => {
  it.each([
    ['all but the last 4', (key: string) => `${key.slice(0, -4)}****`],
    ['the first 8', (key: string) => `${key.slice(0, 8)}…`],
    ['the last 12', (key: string) => `****${key.slice(-12)}`],
  ])('(%s) reaches no error, event or logger line', async (_, echo) => {
    const lines: string[] = [];
    const log = (obj: object, msg?: string): number => lines.push(`${msg} ${dump(obj)}`);
    const logger: Logger = { debug: log, info: log, warn: log, error: log };
    const clock = new ManualClock();
    const mux = new Multiplexer({ clock, logger, random: () => 0.5, maxRetries: 4 });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'canary', apiKey: CANARY });
    const events: unknown[] = [];
    mux.on('*', (e) => events.push(e));
    const errors: unknown[] = [];
    for (const status of [400, 429, 500, 401]) {
      const settled = mux
        .execute(
          'fake',
          async (client) => {
            throw new HttpError(
              status,
              `Incorrect API key provided: ${echo((client as FakeClient).apiKey)}.`,
            );
          },
          { keyName: 'canary' },
        )
        .catch((e: unknown) => e);
      await clock.runAll();
      errors.push(await settled);
    }
    const everything = [dump(errors), dump(events), lines.join('\n'), JSON.stringify(mux.getUsageStats())];
    expect(lines.length).toBeGreaterThan(0);
    expect(everything.join('\n')).toContain('sk-c…1234');
    expect(leaks(everything.join('\n'))).toEqual([]);
    await mux.close();
  });
});

describe('keys and names checked when added', () => {
  it.each([
    ['a line break', `${CANARY.slice(0, 10)}\n${CANARY.slice(10)}`],
    ['a space', `${CANARY.slice(0, 10)} ${CANARY.slice(10)}`],
    ['a control character', `${CANARY.slice(0, 10)}\u0000${CANARY.slice(10)}`],
    ['a non-ASCII character', `${CANARY.slice(0, 10)}\u201d`],
  ])('a key holding %s is refused, on apiKey, without echoing it', (kind, apiKey) => {
    const mux = new Multiplexer();
    try {
      mux.addKey('openai', { apiKey });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('key.apiKey');
      expect((error as Error).message).toContain(kind);
      expect(leaks((error as Error).message)).toEqual([]);
    }
    expect(mux.keyNames('openai')).toEqual([]);
  });

  it('surrounding whitespace is trimmed, not refused', () => {
    const mux = new Multiplexer();
    mux.addKey('openai', { name: 'a', apiKey: `  ${CANARY}\n` });
    expect(mux.keyNames('openai')).toEqual(['a']);
  });

  it.each([`prod ${CANARY}`, `prod-${CANARY.slice(0, 16)}`, CANARY])(
    'a name holding the key is refused: %#',
    (name) => {
      const mux = new Multiplexer();
      const error = (() => {
        try {
          mux.addKey('openai', { name, apiKey: CANARY });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('key.name');
      expect(leaks((error as Error).message)).toEqual([]);
    },
  );

  it('a name sharing only a common prefix with the key is fine', () => {
    const mux = new Multiplexer();
    mux.addKey('openai', { name: 'sk-canary main', apiKey: CANARY });
    expect(mux.keyNames('openai')).toEqual(['sk-canary main']);
  });
});

describe('a config file with a JSON syntax error', () => {
  it.each([
    `{"providers": {"openai": {"keys": [${CANARY}]}}}`,
    `{"providers": {"openai": {"keys": ["${CANARY}",]}}}`,
    `{"providers": {"openai": {"keys": ["${CANARY}"] x}}}`,
    `{"providers": {"openai": {"keys": ["${CANARY.slice(0, 12)}\u0001${CANARY.slice(12)}"]}}}`,
  ])('never quotes its input: %#', async (text) => {
    const dir = mkdtempSync(join(tmpdir(), 'keymux-json-'));
    const path = join(dir, 'keys.json');
    writeFileSync(path, text);
    const error = await loadConfigFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('not valid JSON');
    expect(message).toMatch(/line \d+, column \d+|Unexpected token/);
    expect(leaks(message)).toEqual([]);
    expect(leaks(message, 'providers')).toEqual([]);
  });
});

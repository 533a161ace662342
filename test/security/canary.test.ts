import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/config/options.js';
import { ApiKey } from '../../src/core/api-key.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

const CANARY = 'sk-canary-DO-NOT-LEAK-7f3a9c1e5b2d';

/** Everything reachable from a value, as text: messages, stacks, causes, nested properties. */
function dump(value: unknown, seen = new Set<unknown>()): string {
  if (value === null || typeof value !== 'object') return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  const parts = [inspect(value, { depth: 6, showHidden: true }), safeJson(value)];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', dump(value.cause, seen));
  for (const v of Object.values(value)) parts.push(dump(v, seen));
  return parts.join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

describe('a key’s value never leaks', () => {
  it('ApiKey prints only its name and masked label', () => {
    const key = new ApiKey('main', CANARY);
    expect(key.label).toBe('sk-c…5b2d');
    for (const text of [inspect(key), JSON.stringify(key), String(key), `${key}`, dump(key)]) {
      expect(text).not.toContain(CANARY);
    }
  });

  it('whatever the fault: not in errors, causes, stacks, events, stats, logs or inspect', async () => {
    const lines: string[] = [];
    const log = (obj: object, msg?: string) =>
      lines.push(`${msg} ${JSON.stringify(obj)} ${inspect(obj, { depth: 6 })}`);
    const logger: Logger = { debug: log, info: log, warn: log, error: log };
    const clock = new ManualClock();
    const mux = new Multiplexer({ clock, logger, random: () => 0.5, maxRetries: 6 });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'canary', apiKey: CANARY });
    mux.addKey('fake', { name: 'other', apiKey: 'sk-other-key-0000000000' });
    const events: unknown[] = [];
    mux.on('*', (e) => events.push(e));
    const errors: unknown[] = [];
    // Providers echo keys in their messages: every fault class, with the key in the text.
    for (const status of [400, 429, 500, 401]) {
      const settled = mux
        .execute(
          'fake',
          async (client) => {
            const key = (client as FakeClient).apiKey;
            throw new HttpError(status, `Incorrect API key provided: ${key}. status ${status}`);
          },
          { keyName: 'canary' },
        )
        .catch((e: unknown) => e);
      await clock.runAll();
      errors.push(await settled);
    }
    const last = mux.execute('fake', async () => 1, { keyName: 'canary' }).catch((e: unknown) => e);
    await clock.runAll();
    errors.push(await last);
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    const everything = [
      dump(errors),
      dump(events),
      JSON.stringify(mux.getUsageStats()),
      inspect(mux, { depth: 8, showHidden: true }),
      lines.join('\n'),
    ].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).toContain('sk-c…5b2d');
    expect(everything).not.toContain(CANARY);
  });

  it('a bad key in configuration is named by its field, never printed', () => {
    const mux = new Multiplexer();
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'a', apiKey: CANARY });
    const error = (() => {
      try {
        mux.addKey('fake', { name: 'b', apiKey: CANARY });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(dump(error)).not.toContain(CANARY);
  });
});

import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { validateCallOptions } from '../../src/config/call-options.js';
import type { CallOptions } from '../../src/config/options.js';
import { ConfigError } from '../../src/core/errors.js';
import type { JobContext } from '../../src/dispatch/job-context.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

function fakeMux(
  clock = new ManualClock(),
  queueSize = 100,
  extra: ConstructorParameters<typeof Multiplexer>[0] = {},
): Multiplexer {
  const mux = new Multiplexer({ clock, random: () => 0.5, queueSize, ...extra });
  mux.registerProvider(fakeAdapter());
  mux.addKey('fake', { name: 'a', apiKey: 'sk-fake-a-0123456789' });
  mux.addKey('fake', { name: 'b', apiKey: 'sk-fake-b-0123456789' });
  return mux;
}

const BAD: Array<[string, Record<string, unknown>]> = [
  ['strategy', { strategy: 'fastest' }],
  ['strategy', { strategy: 42 }],
  ['priority', { priority: 'high' }],
  ['priority', { priority: Number.NaN }],
  ['priority', { priority: Number.POSITIVE_INFINITY }],
  ['tokens', { tokens: -100 }],
  ['tokens', { tokens: Number.NaN }],
  ['tokens', { tokens: '10' }],
  ['timeoutMs', { timeoutMs: -1 }],
  ['timeoutMs', { timeoutMs: 0 }],
  ['timeoutMs', { timeoutMs: Number.NaN }],
  ['timeoutMs', { timeoutMs: '1000' }],
  ['signal', { signal: 'x' }],
  ['signal', { signal: {} }],
  ['keyName', { keyName: 7 }],
  ['keyName', { keyName: '' }],
  ['keyname', { keyname: 'a' }],
];

describe('per-call options are checked at the door', () => {
  it.each(BAD)(
    'execute rejects a bad %s with a ConfigError naming it, never throwing',
    async (field, call) => {
      const mux = fakeMux();
      let ran = false;
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = mux.execute('fake', async () => (ran = true), call as CallOptions);
      }).not.toThrow();
      const error = await promise?.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe(field);
      expect(ran).toBe(false);
      // Nothing was accepted: drain() has nothing to wait for.
      await mux.drain();
      await mux.close();
    },
  );

  it('an unknown field suggests the close one', () => {
    expect(() => validateCallOptions({ keyname: 'a' })).toThrow(/did you mean keyName\?/);
  });

  it('a key pasted as keyName is not echoed', async () => {
    const mux = fakeMux();
    const key = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4Lk3';
    const error = await mux.execute('fake', async () => 1, { keyName: key }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('Zx9Qw8Er');
    await mux.close();
  });

  it('good values pass, with the strategy in its canonical spelling', () => {
    const signal = new AbortController().signal;
    expect(
      validateCallOptions({
        strategy: 'Least_Loaded' as CallOptions['strategy'],
        priority: -3,
        tokens: 0,
        timeoutMs: Number.POSITIVE_INFINITY,
        signal,
        keyName: 'a',
      }),
    ).toEqual({
      strategy: 'least-loaded',
      priority: -3,
      tokens: 0,
      timeoutMs: Infinity,
      signal,
      keyName: 'a',
    });
  });

  it('a client factory with a mistyped strategy throws a ConfigError at once', () => {
    const mux = new Multiplexer();
    expect(() => mux.getOpenAIClient('fastest' as CallOptions['strategy'] & string)).toThrow(ConfigError);
    expect(() => mux.getAnthropicClient({ priority: Number.NaN })).toThrow(/priority/);
    expect(() => mux.getOpenAIClient('least_loaded' as 'least-loaded')).not.toThrow();
  });
});

describe('timeoutMs: Infinity', () => {
  it('means no deadline: the job waits as long as it takes', async () => {
    const clock = new ManualClock();
    // The attempt's own deadline (attemptTimeoutMs) is the key's business: off here.
    const mux = fakeMux(clock, undefined, { attemptTimeoutMs: Number.POSITIVE_INFINITY });
    let finish: (v: string) => void = () => undefined;
    const result = mux.execute('fake', () => new Promise<string>((resolve) => (finish = resolve)), {
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await clock.advance(10 * 24 * 3600_000);
    finish('done');
    expect(await result).toBe('done');
    await mux.close();
  });
});

describe('one AbortSignal shared by many calls', () => {
  it('takes a single listener, released when the jobs settle, and aborts them all', async () => {
    const mux = fakeMux(new ManualClock(), 1_000);
    const shared = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      // A call that stops when told to, so its slot is free again afterwards.
      const hang = (_client: unknown, ctx: JobContext): Promise<never> =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      const jobs = Array.from({ length: 2_000 }, () =>
        mux.execute('fake', hang, { signal: shared.signal }).catch((e: unknown) => e),
      );
      expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
      shared.abort(new Error('stop'));
      const settled = await Promise.all(jobs);
      expect(settled.every((e) => e instanceof Error && e.message === 'stop')).toBe(true);
      expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);

      const second = new AbortController();
      const done = await Promise.all(
        Array.from({ length: 50 }, () => mux.execute('fake', async () => 1, { signal: second.signal })),
      );
      expect(done).toHaveLength(50);
      // Every job settled and let go of the signal.
      expect(getEventListeners(second.signal, 'abort')).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await mux.close();
    }
  });
});

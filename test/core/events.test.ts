import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/config/options.js';
import { EventBus, type KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

const added: KeymuxEvent = { type: 'key-added', at: 0, key: { provider: 'p', name: 'a', label: '****' } };

describe('a listener that throws', () => {
  it('is reported to the logger as a warning, and the other listeners still get the event', async () => {
    const warnings: Array<{ obj: object; msg: string | undefined }> = [];
    const noop = (): void => undefined;
    const logger: Logger = {
      debug: noop,
      info: noop,
      error: noop,
      warn: (obj, msg) => warnings.push({ obj, msg }),
    };
    const mux = new Multiplexer({ clock: new ManualClock(), logger });
    mux.registerProvider(fakeAdapter());
    const seen: string[] = [];
    mux.on('key-added', () => {
      throw new Error('listener bug');
    });
    mux.on('key-added', (e) => seen.push(e.key.name));
    mux.addKey('fake', { name: 'a', apiKey: 'sk-fake-0123456789ab' });
    expect(seen).toEqual(['a']);
    const report = warnings.find((w) => w.msg === 'keymux event listener threw');
    expect(report?.obj).toMatchObject({ eventType: 'key-added' });
    expect((report?.obj as { err?: Error } | undefined)?.err?.message).toBe('listener bug');
    await mux.close();
  });

  it('without a logger, becomes one process warning (not one per event)', async () => {
    const bus = new EventBus();
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      bus.on('*', () => {
        throw new Error('listener bug');
      });
      for (let i = 0; i < 5; i++) bus.emit(added);
      await new Promise((resolve) => setImmediate(resolve));
      const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'KEYMUX_LISTENER_ERROR');
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toContain('listener bug');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('set to report elsewhere: every error is passed on', () => {
    const bus = new EventBus();
    const errors: unknown[] = [];
    bus.reportListenerError = (error) => errors.push(error);
    bus.on('key-added', () => {
      throw new Error('x');
    });
    bus.emit(added);
    bus.emit(added);
    expect(errors).toHaveLength(2);
  });
});

describe('logged events', () => {
  it('a request the provider refused (400) or the caller gave up is logged at debug, a fault of the key at info', async () => {
    const lines: string[] = [];
    const at = (level: string) => (_obj: object, msg?: string) => lines.push(`${level} ${msg}`);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const bus = new EventBus();
    const { logEvents } = await import('../../src/core/log-events.js');
    logEvents(bus, logger);
    const key = { provider: 'p', name: 'a', label: '****' };
    const failure = {
      type: 'failure',
      at: 0,
      key,
      jobId: 1,
      attempt: 1,
      latencyMs: 1,
      status: 400,
      message: 'm',
    } as const;
    bus.emit({ ...failure, failureClass: 'bad-request' });
    bus.emit({ ...failure, failureClass: 'aborted', status: undefined });
    bus.emit({ ...failure, failureClass: 'transient', status: 503 });
    expect(lines).toEqual(['debug keymux failure', 'debug keymux failure', 'info keymux failure']);
  });
});

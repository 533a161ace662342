import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import { registerStateGauges } from '../../src/serve/state-gauges.js';
import { deferred, fakeAdapter } from '../support/fake-provider.js';

describe('keymux_pool_waiting', () => {
  it('counts the jobs that wait in the pool for a key that can start them', async () => {
    const mux = new Multiplexer({ maxConcurrentRequests: 1 });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'only', apiKey: 'secret-only-0123456789' });
    const registry = new Registry();
    registerStateGauges(mux, registry);
    const gate = deferred();
    const jobs = Array.from({ length: 4 }, () => mux.execute('fake', () => gate.promise));
    // As a scrape reads them: every gauge collected, in order.
    const waiting = async () =>
      (await registry.getMetricsAsJSON())
        .find((m) => m.name === 'keymux_pool_waiting')
        ?.values.find((v) => v.labels.provider === 'fake')?.value;
    // One call holds the key's one slot; three wait for it in the pool, none on the key itself.
    await expect(waiting()).resolves.toBe(3);
    gate.resolve();
    await Promise.all(jobs);
    await expect(waiting()).resolves.toBe(0);
    await mux.close();
  });
});

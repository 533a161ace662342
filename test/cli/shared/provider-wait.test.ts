import { describe, expect, it } from 'vitest';
import { describeProviderWait } from '../../../src/cli/shared/provider-wait.js';
import { Multiplexer } from '../../../src/multiplexer.js';
import { fakeAdapter, HttpError } from '../../support/fake-provider.js';
import { ManualClock } from '../../support/manual-clock.js';

describe('describeProviderWait', () => {
  it('says how long until the next probe while jobs wait and no key can serve, and nothing otherwise', async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T08:00:00Z'));
    const mux = new Multiplexer({ clock, random: () => 0.5, initialRetryDelay: 8000, maxRetries: 1 });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'a', apiKey: 'secret-a-0123456789' });
    expect(describeProviderWait(mux.getUsageStats(), 'fake', clock.now())).toBe('');
    let down = true;
    const first = mux.execute('fake', async () => {
      if (down) throw new HttpError(503);
      return 1;
    });
    await expect(first).rejects.toThrow();
    const waiting = mux.execute('fake', async () => 2);
    await clock.advance(0);
    // Backing off 4 s (half of the 8 s ceiling, with random() = 0.5): one job waits for the only key.
    expect(describeProviderWait(mux.getUsageStats(), 'fake', clock.now())).toBe(
      'waiting for provider, next probe in 4s',
    );
    down = false;
    await clock.advance(4000);
    await expect(waiting).resolves.toBe(2);
    expect(describeProviderWait(mux.getUsageStats(), 'fake', clock.now())).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { AttemptTimeoutError, Multiplexer, RetriesExhaustedError } from '../../src/index.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

describe('timeout errors callers meet are exported', () => {
  it('an attempt past attemptTimeoutMs is an AttemptTimeoutError, importable from keymux', async () => {
    const clock = new ManualClock(0);
    const mux = new Multiplexer({ clock, attemptTimeoutMs: 1000, maxRetries: 1 });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'a', apiKey: 'secret-a-0123456789' });
    const job = mux.execute('fake', () => new Promise(() => undefined)).catch((e: unknown) => e);
    await clock.advance(1000);
    const error = await job;
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    const [attempt] = (error as RetriesExhaustedError).attempts;
    expect(attempt?.error).toBeInstanceOf(AttemptTimeoutError);
    expect(attempt?.error).toMatchObject({ keyName: 'a', code: 'ATTEMPT_TIMEOUT' });
    await mux.close();
  });
});

import { describe, expect, it } from 'vitest';
import { StoreKeyGate } from '../../src/store/key-gate.js';
import { memoryStore } from '../../src/store/memory-store.js';
import { RateLimiter } from '../../src/worker/rate-limiter.js';
import { ManualClock } from '../support/manual-clock.js';

const address = { provider: 'openai', key: 'k1' };

function gate() {
  const clock = new ManualClock(1_000_000);
  const store = memoryStore({ clock });
  const shared = new StoreKeyGate({
    store,
    address,
    scope: 'k1',
    limiter: new RateLimiter({ rpm: 60 }),
    clock,
    probeTtlMs: 1000,
    reopenMs: 1000,
  });
  return { clock, store, shared };
}

describe('StoreKeyGate', () => {
  it('remembers how long the last refused take said to wait, without asking the store again', async () => {
    const { clock, store, shared } = gate();
    expect(shared.waitMs(clock.now())).toBe(0);
    // Another process's 429 cooled the key down for 5 s: this process's take learns it.
    await store.extendDeadline(address, 'cooldown', 5000);
    expect(await shared.take(0)).toBe(5000);
    expect(shared.waitMs(clock.now())).toBe(5000);
    await clock.advance(2000);
    expect(shared.waitMs(clock.now())).toBe(3000);
    await clock.advance(3000);
    expect(shared.waitMs(clock.now())).toBe(0);
    // A take that goes through clears it; the next refusal (the schedule: one a second) sets it again.
    expect(await shared.take(0)).toBe(0);
    expect(shared.waitMs(clock.now())).toBe(0);
    expect(await shared.take(0)).toBe(1000);
    expect(shared.waitMs(clock.now())).toBe(1000);
  });
});

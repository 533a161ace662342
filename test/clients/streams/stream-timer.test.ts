import { describe, expect, it } from 'vitest';
import { startTimer } from '../../../src/clients/streams/stream-timer.js';
import { systemClock } from '../../../src/core/clock.js';
import { ManualClock } from '../../support/manual-clock.js';

function refTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

describe('startTimer (the stream deadlines’ timer)', () => {
  it('on the system clock never keeps the process alive', () => {
    const before = refTimers();
    const cancel = startTimer(systemClock, 60_000, () => undefined);
    expect(refTimers()).toBe(before);
    cancel();
  });

  it('runs on an injected clock, and a cancelled timer never fires', async () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    startTimer(clock, 1000, () => fired.push('kept'));
    const cancel = startTimer(clock, 500, () => fired.push('cancelled'));
    cancel();
    await clock.advance(999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(['kept']);
    expect(clock.pending).toBe(0);
  });

  it('sets no timer for Infinity', () => {
    const clock = new ManualClock();
    startTimer(clock, Number.POSITIVE_INFINITY, () => undefined);
    expect(clock.pending).toBe(0);
  });

  it('caps a delay past what setTimeout holds instead of firing at once', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    startTimer(clock, 2 ** 40, () => fired.push(clock.now()));
    await clock.advance(2 ** 31 - 2);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([2 ** 31 - 1]);
  });
});

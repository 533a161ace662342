import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/store/memory-store.js';
import { floorOfReading, type TakeRequest } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';

const address = { provider: 'openai', key: 'k1' };
const take = (rpm: number | undefined, tokens = 0, tpm?: number): TakeRequest => ({
  ...address,
  scope: 'k1',
  limits: [
    { name: 'rpm', limit: rpm, units: 1 },
    ...(tpm === undefined ? [] : [{ name: 'tpm' as const, limit: tpm, units: tokens }]),
  ],
  probeTtlMs: 1000,
});

function setup(share = 1) {
  const clock = new ManualClock(1_000_000);
  return { clock, store: memoryStore({ clock, share }) };
}

describe('memoryStore', () => {
  it('paces one unit per interval and returns the wait on refusal', async () => {
    const { clock, store } = setup();
    expect(store.take(take(600))).toMatchObject({ ok: true, probe: undefined });
    expect(store.take(take(600))).toEqual({ ok: false, waitMs: 100, reason: 'rate', learned: {} });
    await clock.advance(100);
    expect(store.take(take(600)).ok).toBe(true);
  });

  it('keeps the schedule for a send up to 100 ms late, and restarts it from now after an idle gap', async () => {
    const { clock, store } = setup();
    store.take(take(600)); // next at +100
    await clock.advance(150); // 50 ms late: keeps the schedule, next at +200
    store.take(take(600));
    await clock.advance(50);
    expect(store.take(take(600)).ok).toBe(true);
    await clock.advance(10_000); // idle: no burst earned
    expect(store.take(take(600)).ok).toBe(true);
    expect(store.take(take(600))).toMatchObject({ ok: false, waitMs: 100 });
  });

  it('takes all or nothing: a refusal on one limit writes nothing on the others', async () => {
    const { store } = setup();
    store.tighten({ provider: 'openai', scope: 'k1', name: 'tpm', floorMs: 5000 });
    expect(store.take(take(600, 100, 6000))).toMatchObject({ ok: false, waitMs: 5000, reason: 'rate' });
    expect(store.snapshot(address, 'k1').limits.rpm).toBeUndefined();
  });

  it('settles: debt moves the token schedule later, a refund never before now', async () => {
    const { clock, store } = setup();
    const tokens = (units: number) => ({
      provider: 'openai',
      scope: 'k1',
      limits: [{ name: 'tpm' as const, limit: 6000, units }],
    });
    store.take(take(600, 100, 6000)); // 100 tokens at 10 ms each
    expect(store.snapshot(address, 'k1').limits.tpm?.aheadMs).toBe(1000);
    store.settle(tokens(50));
    expect(store.snapshot(address, 'k1').limits.tpm?.aheadMs).toBe(1500);
    store.settle(tokens(-30));
    expect(store.snapshot(address, 'k1').limits.tpm?.aheadMs).toBe(1200);
    await clock.advance(1000);
    store.settle(tokens(-500));
    expect(store.snapshot(address, 'k1').limits.tpm?.aheadMs).toBe(0);
    expect(store.take(take(600, 10, 6000)).ok).toBe(true);
  });

  it('tightens from a reading only later, and uses a learned limit for takes that configure none', () => {
    const { store } = setup();
    const minute = 60_000;
    // Empty, full again in 3 s, limit unknown: the reset. At 60 rpm one request is back in 1 s; at 10 rpm
    // the reset comes first. A unit left: no floor. A tokens bucket needs the call's tokens back.
    expect(floorOfReading({ remaining: 0, resetMs: 3000, windowMs: minute }, undefined)).toBe(3000);
    expect(floorOfReading({ remaining: 0, resetMs: 3000, windowMs: minute }, 60)).toBe(1000);
    expect(floorOfReading({ remaining: 0, resetMs: 3000, windowMs: minute }, 10)).toBe(3000);
    expect(floorOfReading({ remaining: 2, resetMs: 3000, windowMs: minute }, 60)).toBe(0);
    expect(floorOfReading({ remaining: 100, resetMs: 30_000, windowMs: minute }, 60_000, 600)).toBe(500);
    store.tighten({
      provider: 'openai',
      scope: 'k1',
      name: 'rpm',
      floorMs: floorOfReading({ remaining: 0, resetMs: 3000, windowMs: minute }, undefined),
      learn: 60,
    });
    store.tighten({ provider: 'openai', scope: 'k1', name: 'rpm', floorMs: 10 });
    expect(store.take(take(undefined))).toEqual({
      ok: false,
      waitMs: 3000,
      reason: 'rate',
      learned: { rpm: 60 },
    });
    expect(store.snapshot(address, 'k1').limits.rpm).toEqual({ aheadMs: 0, notBeforeMs: 3000, learned: 60 });
  });

  it('allows a daily limit whole at once, as providers do, then paces its refill', async () => {
    const { clock, store } = setup();
    const daily: TakeRequest = { ...take(undefined), limits: [{ name: 'rpd', limit: 5, units: 1 }] };
    for (let i = 0; i < 5; i++) expect(store.take(daily).ok).toBe(true);
    expect(store.take(daily)).toMatchObject({ ok: false, waitMs: 86_400_000 / 5, reason: 'rate' });
    await clock.advance(86_400_000 / 5);
    expect(store.take(daily).ok).toBe(true);
    expect(store.take(daily).ok).toBe(false);
  });

  it('skips a limit nobody configured or learned', () => {
    const { store } = setup();
    expect(store.take(take(undefined)).ok).toBe(true);
    expect(store.take(take(undefined)).ok).toBe(true);
  });

  it('extends a cooldown but never shortens it', async () => {
    const { clock, store } = setup();
    expect(store.extendDeadline(address, 'cooldown', 5000)).toBe(5000);
    expect(store.extendDeadline(address, 'cooldown', 1000)).toBe(5000);
    expect(store.take(take(600))).toMatchObject({ ok: false, waitMs: 5000, reason: 'cooldown' });
    await clock.advance(5000);
    expect(store.take(take(600)).ok).toBe(true);
  });

  it('holds one probe lease in half-open state, frees it on release or expiry, closes on success', async () => {
    const { clock, store } = setup();
    store.openBreaker(address, 2000);
    expect(store.take(take(undefined))).toMatchObject({ ok: false, waitMs: 2000, reason: 'breaker' });
    await clock.advance(2000);
    const probe = store.take(take(undefined));
    expect(probe.ok && probe.probe).toBeTruthy();
    expect(store.take(take(undefined))).toMatchObject({ ok: false, waitMs: 1000, reason: 'breaker' });
    store.releaseProbe(address, 'not-the-holder');
    expect(store.take(take(undefined)).ok).toBe(false);
    if (probe.ok && probe.probe) store.releaseProbe(address, probe.probe);
    const next = store.take(take(undefined));
    expect(next.ok && next.probe).toBeTruthy();
    await clock.advance(1000); // its holder never came back
    expect(store.snapshot(address, 'k1')).toMatchObject({ breaker: 'half-open', probeHeld: false });
    expect(store.take(take(undefined)).ok).toBe(true);
    store.closeBreaker(address);
    expect(store.take(take(undefined))).toMatchObject({ ok: true, probe: undefined });
    expect(store.snapshot(address, 'k1').breaker).toBe('closed');
  });

  it('paces to its share of each limit (a fallback for one of N processes)', () => {
    const { store } = setup(0.25);
    store.take(take(600));
    expect(store.take(take(600))).toMatchObject({ ok: false, waitMs: 400 });
  });

  it('lists what runs ahead of now, for a re-sync, and forgets it once handed over', () => {
    const { store } = setup();
    store.take(take(600));
    store.extendDeadline(address, 'exhausted', 700);
    expect(store.drainPending()).toEqual({
      schedules: [{ provider: 'openai', scope: 'k1', name: 'rpm', units: 1, limit: 600, notBeforeMs: 0 }],
      deadlines: [{ ...address, cooldownMs: 0, exhaustedMs: 700, openMs: 0 }],
    });
    expect(store.drainPending()).toEqual({ schedules: [], deadlines: [] });
    expect(store.take(take(600)).ok).toBe(true);
  });

  it('hands over of a paced limit only what still runs ahead, and of a daily limit every unit', async () => {
    const { clock, store } = setup(0.25);
    const both: TakeRequest = {
      ...address,
      scope: 'k1',
      limits: [
        { name: 'rpm', limit: 600, units: 1 },
        { name: 'rpd', limit: 10_000, units: 1 },
      ],
      probeTtlMs: 1000,
    };
    // 30 sends at a quarter of 600 rpm (one every 400 ms) over 12 s: a long outage, alone.
    for (let i = 0; i < 30; i++) {
      if (i > 0) await clock.advance(400);
      expect(store.take(both).ok).toBe(true);
    }
    await clock.advance(200); // the last send's local schedule runs 200 ms ahead of now
    const { schedules } = store.drainPending();
    // 200 ms ahead at a quarter share is 50 ms of the whole limit: half a unit at 100 ms each, not 30.
    expect(schedules.find((s) => s.name === 'rpm')?.units).toBeCloseTo(0.5, 5);
    expect(schedules.find((s) => s.name === 'rpd')?.units).toBe(30);
  });

  it('starts a fresh schedule after the sends its caller already booked in Redis', () => {
    const { store } = setup(0.25);
    // Redis went away with this process's last booked send 1.5 s ahead: the local schedule continues it,
    // one local interval (a quarter of 600 rpm: 400 ms) later.
    expect(store.take({ ...take(600), bookedMs: 1500 })).toMatchObject({ ok: false, waitMs: 1900 });
    expect(store.take({ ...take(600), bookedMs: 1500, reserveMs: 5000 })).toMatchObject({
      ok: true,
      delayMs: 1900,
    });
    expect(store.take({ ...take(600), reserveMs: 5000 })).toMatchObject({ ok: true, delayMs: 2300 });
  });
});

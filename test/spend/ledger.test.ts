import { describe, expect, it } from 'vitest';
import { BudgetLedger, isRefusal, type Ticket } from '../../src/spend/budget-ledger.js';
import { periodEnd, periodStart } from '../../src/spend/period.js';

const at = (iso: string): number => Date.parse(iso);
/** The memory ledger answers at once; only a shared one answers later. */
const sync = <T>(value: T | Promise<T>): T => value as T;

describe('periods', () => {
  it('start and end on calendar boundaries in UTC', () => {
    const now = at('2026-03-18T15:42:10.500Z'); // a Wednesday
    expect(periodStart('minute', now)).toBe(at('2026-03-18T15:42:00Z'));
    expect(periodStart('hour', now)).toBe(at('2026-03-18T15:00:00Z'));
    expect(periodStart('day', now)).toBe(at('2026-03-18T00:00:00Z'));
    expect(periodStart('week', now)).toBe(at('2026-03-16T00:00:00Z'));
    expect(periodStart('month', now)).toBe(at('2026-03-01T00:00:00Z'));
    expect(periodStart('year', now)).toBe(at('2026-01-01T00:00:00Z'));
    expect(periodEnd('month', now)).toBe(at('2026-04-01T00:00:00Z'));
    expect(periodEnd('week', now)).toBe(at('2026-03-23T00:00:00Z'));
    expect(periodEnd('year', at('2026-12-31T23:59:59Z'))).toBe(at('2027-01-01T00:00:00Z'));
    expect(periodStart({ ms: 1000 }, 12_345)).toBe(12_000);
    expect(periodStart(undefined, now)).toBe(0);
    expect(periodEnd(undefined, now)).toBeUndefined();
  });

  it('a Sunday belongs to the week that began on Monday', () => {
    expect(periodStart('week', at('2026-03-22T23:00:00Z'))).toBe(at('2026-03-16T00:00:00Z'));
  });
});

describe('BudgetLedger', () => {
  it('refuses the reservation that would cross; lands exactly on the limit', () => {
    const ledger = new BudgetLedger([{ name: 'b', usd: 1 }]);
    const states = ledger.covering('k', undefined);
    const tickets: Ticket[] = [];
    for (let i = 0; i < 10; i++) {
      const r = sync(ledger.reserve(states, { usd: 0.1, tokens: 0 }, 0));
      expect(isRefusal(r)).toBe(false);
      tickets.push(r as Ticket);
    }
    // 10 × 0.1 is 0.9999999999999999 in floating point: counted in nano-dollars it is exactly 1.
    expect(sync(ledger.reserve(states, { usd: 1e-9, tokens: 0 }, 0))).toEqual({
      budget: 'b',
      reason: 'exceeded',
    });
    ledger.settle(tickets[0] as Ticket, { usd: 0.05, tokens: 0 }, 0);
    ledger.release(tickets[1] as Ticket, 0);
    expect(ledger.snapshot(0)[0]).toMatchObject({ spent: 0.05, reserved: 0.8, left: 0.15 });
  });

  it('AND: a reservation takes from every covering budget or from none', () => {
    const ledger = new BudgetLedger([
      { name: 'all', tokens: 100 },
      { name: 'team', tokens: 10, keys: ['a'] },
      { name: 'exp', tokens: 5, tag: 'exp' },
    ]);
    expect(ledger.covering('b', undefined).map((s) => s.options.name)).toEqual(['all']);
    expect(ledger.covering('a', 'exp').map((s) => s.options.name)).toEqual(['all', 'team', 'exp']);
    expect(sync(ledger.reserve(ledger.covering('a', 'exp'), { usd: null, tokens: 6 }, 0))).toEqual({
      budget: 'exp',
      reason: 'exceeded',
    });
    expect(ledger.snapshot(0).map((b) => b.reserved)).toEqual([0, 0, 0]);
  });

  it('a USD budget refuses a call whose cost is unknown', () => {
    const ledger = new BudgetLedger([{ name: 'usd', usd: 5 }]);
    expect(sync(ledger.reserve(ledger.covering('a', undefined), { usd: null, tokens: 1 }, 0))).toEqual({
      budget: 'usd',
      reason: 'unknown-price',
    });
  });

  it('rolls over at the period boundary: spent starts again, reservations still running stay', () => {
    const warnings: string[] = [];
    const ledger = new BudgetLedger([{ name: 'daily', tokens: 100, period: 'day' }], (b) =>
      warnings.push(`${b.name}@${b.spent + b.reserved}`),
    );
    const states = ledger.covering('a', undefined);
    const day1 = at('2026-05-01T23:59:00Z');
    ledger.settle(
      sync(ledger.reserve(states, { usd: null, tokens: 60 }, day1)) as Ticket,
      { usd: null, tokens: 60 },
      day1,
    );
    const running = sync(ledger.reserve(states, { usd: null, tokens: 30 }, day1)) as Ticket;
    expect(warnings).toEqual(['daily@90']);
    expect(isRefusal(sync(ledger.reserve(states, { usd: null, tokens: 20 }, day1)))).toBe(true);
    const day2 = at('2026-05-02T00:00:00Z');
    expect(ledger.snapshot(day2)[0]).toMatchObject({
      spent: 0,
      reserved: 30,
      left: 70,
      resetsAt: at('2026-05-03T00:00:00Z'),
    });
    ledger.settle(running, { usd: null, tokens: 25 }, day2);
    expect(ledger.snapshot(day2)[0]).toMatchObject({ spent: 25, reserved: 0 });
    // The warning fires again in the new period.
    sync(ledger.reserve(states, { usd: null, tokens: 60 }, day2));
    expect(warnings).toEqual(['daily@90', 'daily@85']);
  });
});

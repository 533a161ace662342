import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../src/config/options.js';
import { resolveOptions } from '../../src/config/resolve.js';
import { EventBus } from '../../src/core/events.js';
import { DispatchedJob } from '../../src/dispatch/dispatched-job.js';
import { type KeyPool, KeyRegistry } from '../../src/dispatch/key-registry.js';
import { type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

/**
 * The pool's contract, driven by random pools, arrivals and faults on the manual clock: after every
 * scheduler step (each instant's timers fired and every promise callback run) no key that could start a
 * job now stands idle while the pool holds one; every job settles exactly once; no key has more calls in
 * flight than its slots or sends more than its limit in any minute; and jobs start in priority order.
 */

type Outcome = 'ok' | '429-hint' | '429-bare' | '5xx';
const STRATEGIES: Array<Exclude<Strategy, 'specific'>> = [
  'round-robin',
  'least-loaded',
  'random',
  'lru',
  'least-used',
  'weighted',
];

const keySpec = fc.record({
  rpm: fc.option(fc.integer({ min: 30, max: 1200 }), { nil: undefined }),
  slots: fc.integer({ min: 1, max: 4 }),
  weight: fc.integer({ min: 1, max: 3 }),
});

const jobSpec = fc.record({
  durationMs: fc.integer({ min: 5, max: 400 }),
  priority: fc.integer({ min: 0, max: 2 }),
  outcomes: fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'ok', '429-hint', '429-bare', '5xx'), {
    minLength: 1,
    maxLength: 4,
  }),
});

const arrival: fc.Arbitrary<Arrival> = fc.oneof(
  fc.constant({ kind: 'batch' as const }),
  fc.record({
    kind: fc.constant('bursts' as const),
    every: fc.integer({ min: 50, max: 2000 }),
    size: fc.integer({ min: 2, max: 15 }),
  }),
  fc.record({ kind: fc.constant('trickle' as const), every: fc.integer({ min: 1, max: 300 }) }),
);

const poolChange = fc.record({
  atMs: fc.integer({ min: 0, max: 8000 }),
  kind: fc.constantFrom('disable' as const, 'enable' as const, 'add' as const, 'reset' as const),
  key: fc.nat(),
});

const scenario = fc.record({
  keys: fc.array(keySpec, { minLength: 1, maxLength: 20 }),
  strategy: fc.constantFrom(...STRATEGIES),
  jobs: fc.array(jobSpec, { minLength: 1, maxLength: 60 }),
  arrival,
  changes: fc.array(poolChange, { maxLength: 4 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

type Arrival =
  | { readonly kind: 'batch' }
  | { readonly kind: 'bursts'; readonly every: number; readonly size: number }
  | { readonly kind: 'trickle'; readonly every: number };

/** When each of `n` jobs arrives: all at once, in bursts, or spaced. */
function arrivalTimes(a: Arrival, n: number): number[] {
  if (a.kind === 'batch') return Array.from({ length: n }, () => 0);
  if (a.kind === 'bursts') return Array.from({ length: n }, (_, i) => Math.floor(i / a.size) * a.every);
  return Array.from({ length: n }, (_, i) => i * a.every);
}

/** Keys that could start a job now while the pool holds one: must always be none. */
function idleWhileWorkWaits(pool: KeyPool, now: number): string[] {
  if (pool.backlogSize === 0) return [];
  return pool.lanes.filter((w) => w.canStartNow(0, now)).map((w) => w.name);
}

describe('the work-conserving pool (property)', () => {
  it('no key idles while work waits; jobs settle once; slots, limits and priority hold', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new ManualClock(0);
        let seed = s.seed;
        const random = () => {
          seed = (seed * 16807) % 2147483647;
          return seed / 2147483647;
        };
        const options = resolveOptions({
          clock,
          random,
          strategy: s.strategy,
          queueSize: 1000,
          maxRetries: 4,
          initialRetryDelay: 50,
          rateLimitCooldownMs: 2000,
          cooldownMs: 3000,
          breakerBaseMs: 1000,
          // Priority order is checked exactly: no aging within the run.
          priorityAgingMs: 1e12,
          attemptTimeoutMs: Number.POSITIVE_INFINITY,
        });
        const events = new EventBus();
        const registry = new KeyRegistry(options, events);
        registry.register(fakeAdapter());
        const specs = [...s.keys];
        const add = (i: number) => {
          const k = specs[i]!;
          registry.add('fake', {
            name: `k${i}`,
            apiKey: `secret-k${i}-0123456789`,
            maxConcurrentRequests: k.slots,
            weight: k.weight,
            ...(k.rpm === undefined ? {} : { limits: { rpm: k.rpm } }),
          });
        };
        for (let i = 0; i < specs.length; i++) add(i);
        const pool = registry.pool('fake');

        const violations: string[] = [];
        const inFlight = new Map<string, number>();
        const sends = new Map<string, number[]>();
        const settledCount = new Map<number, number>();
        const firstStart = new Map<number, number>();
        const pendingFirst = new Map<number, { priority: number; submittedAt: number }>();
        events.on('job-settled', (e) => settledCount.set(e.jobId, (settledCount.get(e.jobId) ?? 0) + 1));
        events.on('request', (e) => {
          if (e.attempt !== 1) return;
          const me = pendingFirst.get(e.jobId);
          pendingFirst.delete(e.jobId);
          if (!me) return;
          firstStart.set(e.jobId, e.at);
          for (const [id, other] of pendingFirst) {
            if (other.priority > me.priority && other.submittedAt <= e.at)
              violations.push(
                `job ${e.jobId} (priority ${me.priority}) started before waiting job ${id} (priority ${other.priority})`,
              );
          }
        });

        const ctx = { options, events, onSettled: () => undefined };
        const limitOf = (name: string) => specs[Number(name.slice(1))]!;
        const promises: Array<Promise<unknown>> = [];
        let id = 0;
        const submit = (j: (typeof s.jobs)[number]) => {
          const jobId = ++id;
          pendingFirst.set(jobId, { priority: j.priority, submittedAt: clock.now() });
          let attempt = 0;
          const job = new DispatchedJob({
            id: jobId,
            tokens: 0,
            priority: j.priority,
            fn: async (client) => {
              const name = `k${(client as FakeClient).apiKey.split('-')[1]!.slice(1)}`;
              const now = clock.now();
              const n = (inFlight.get(name) ?? 0) + 1;
              inFlight.set(name, n);
              if (n > limitOf(name).slots)
                violations.push(`${name}: ${n} calls in flight, ${limitOf(name).slots} slots`);
              const log = sends.get(name) ?? [];
              log.push(now);
              sends.set(name, log);
              const rpm = limitOf(name).rpm;
              if (rpm !== undefined && log.filter((t) => t > now - 60_000).length > rpm)
                violations.push(`${name}: over ${rpm} sends in a minute at ${now}`);
              try {
                await clock.sleep(j.durationMs);
              } finally {
                inFlight.set(name, inFlight.get(name)! - 1);
              }
              const outcome = j.outcomes[Math.min(attempt++, j.outcomes.length - 1)]!;
              if (outcome === '429-hint') throw new HttpError(429, 'slow down', 700);
              if (outcome === '429-bare') throw new HttpError(429, 'slow down');
              if (outcome === '5xx') throw new HttpError(503, 'unavailable');
              return name;
            },
            pool,
            strategy: s.strategy,
            keyName: undefined,
            context: ctx,
          });
          promises.push(
            job.start().then(
              () => undefined,
              () => undefined,
            ),
          );
        };

        const times = arrivalTimes(s.arrival, s.jobs.length);
        const schedule: Array<{ at: number; run: () => void }> = [
          ...s.jobs.map((j, i) => ({ at: times[i]!, run: () => submit(j) })),
          ...s.changes.map((c) => ({
            at: c.atMs,
            run: () => {
              const i = c.key % specs.length;
              if (c.kind === 'add') {
                specs.push({ rpm: 600, slots: 2, weight: 1 });
                add(specs.length - 1);
              } else {
                const worker = pool.get(`k${i}`);
                if (!worker) return;
                if (c.kind === 'disable') worker.disable();
                if (c.kind === 'enable') worker.enable();
                if (c.kind === 'reset') worker.reset(clock.now());
                pool.notify();
              }
            },
          })),
        ].sort((a, b) => a.at - b.at);

        const check = () => {
          const idle = idleWhileWorkWaits(pool, clock.now());
          if (idle.length > 0)
            violations.push(`at ${clock.now()}: ${idle.join(',')} idle with ${pool.backlogSize} waiting`);
        };
        let next = 0;
        for (let step = 0; step < 200_000; step++) {
          const timerAt = clock.nextAt();
          const scheduledAt = schedule[next]?.at;
          if (timerAt === undefined && scheduledAt === undefined) break;
          const at = Math.min(timerAt ?? Number.POSITIVE_INFINITY, scheduledAt ?? Number.POSITIVE_INFINITY);
          await clock.advance(Math.max(0, at - clock.now()));
          while (next < schedule.length && schedule[next]!.at <= clock.now()) schedule[next++]!.run();
          await flush();
          check();
          if (violations.length > 0) break;
        }
        expect(violations).toEqual([]);
        // Keys left disabled may hold jobs back forever: enable all, and the rest must settle.
        for (const worker of pool.workers) worker.enable();
        pool.notify();
        await clock.runAll();
        await flush();
        expect(settledCount.size).toBe(s.jobs.length);
        expect([...settledCount.values()].every((n) => n === 1)).toBe(true);
        await Promise.all(promises);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) },
    );
  }, 60_000);
});

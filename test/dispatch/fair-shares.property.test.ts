import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

/**
 * Fair shares and deadlines, driven by random tags, weights and bursts of arrivals on the manual clock,
 * through one key with one slot (so the order jobs start in is the backlog's order): while a set of tags
 * has work queued, each tag's share of the jobs started is within ±5% of its weight's share of the set;
 * within a tag, no job starts while one with an earlier deadline waits (jobs without one last); no job
 * starts after its deadline; every job settles exactly once.
 */

const SERVICE_MS = 10;

const burst = fc.record({
  atMs: fc.integer({ min: 0, max: 500 }),
  size: fc.integer({ min: 30, max: 120 }),
});

const tagSpec = fc.record({
  weight: fc.integer({ min: 1, max: 4 }),
  bursts: fc.array(burst, { minLength: 1, maxLength: 2 }),
});

const scenario = fc.record({
  tags: fc.array(tagSpec, { minLength: 2, maxLength: 4 }),
  // Per job: no deadline, a far one (ordering only), or a near one (it may expire while waiting).
  deadlines: fc.array(fc.constantFrom('none', 'none', 'far', 'near'), { minLength: 50, maxLength: 50 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

interface Arrival {
  readonly id: number;
  readonly at: number;
  readonly tag: string;
  readonly deadline: number | undefined;
}

describe('fair shares and deadlines (property)', () => {
  it('shares follow the weights while tags wait; EDF within a tag; none late, none lost', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        let seed = s.seed;
        const random = (): number => {
          seed = (seed * 16807) % 2147483647;
          return seed / 2147483647;
        };
        const shares = Object.fromEntries(s.tags.map((t, i) => [`t${i}`, t.weight]));
        const clock = new ManualClock(0);
        const mux = new Multiplexer({
          clock,
          random,
          shares,
          maxConcurrentRequests: 1,
          queueSize: 10_000,
          attemptTimeoutMs: Number.POSITIVE_INFINITY,
          telemetry: false,
        });
        mux.registerProvider(fakeAdapter());
        mux.addKey('fake', { name: 'k', apiKey: 'secret-k-0123456789' });

        const arrivals: Arrival[] = [];
        s.tags.forEach((t, i) => {
          for (const b of t.bursts) {
            for (let n = 0; n < b.size; n++) {
              const kind = s.deadlines[arrivals.length % s.deadlines.length];
              const deadline =
                kind === 'far'
                  ? 1e9 + Math.floor(random() * 1e6)
                  : kind === 'near'
                    ? b.atMs + 50 + Math.floor(random() * 3000)
                    : undefined;
              arrivals.push({ id: arrivals.length, at: b.atMs, tag: `t${i}`, deadline });
            }
          }
        });
        arrivals.sort((a, b) => a.at - b.at || a.id - b.id);

        const waiting = new Map<number, Arrival>();
        const settled = new Map<number, number>();
        const problems: string[] = [];
        /** Per set of tags with work queued: jobs started per tag. */
        const bySet = new Map<string, Map<string, number>>();

        const start = (job: Arrival): void => {
          const now = clock.now();
          if (job.deadline !== undefined && now > job.deadline) problems.push(`job ${job.id} started late`);
          const backlogged = new Set([...waiting.values()].map((w) => w.tag));
          const key = [...backlogged].sort().join(',');
          const counts = bySet.get(key) ?? new Map<string, number>();
          counts.set(job.tag, (counts.get(job.tag) ?? 0) + 1);
          bySet.set(key, counts);
          for (const other of waiting.values()) {
            if (other.tag !== job.tag || other.id === job.id || other.deadline === undefined) continue;
            if (job.deadline === undefined || other.deadline < job.deadline) {
              problems.push(
                `job ${job.id} (deadline ${job.deadline}) started before ${other.id} (${other.deadline})`,
              );
            }
          }
          waiting.delete(job.id);
        };

        const submit = (job: Arrival): void => {
          waiting.set(job.id, job);
          const run = async (): Promise<number> => {
            start(job);
            await clock.sleep(SERVICE_MS);
            return job.id;
          };
          const options =
            job.deadline === undefined
              ? { tag: job.tag }
              : { tag: job.tag, deadline: job.deadline - clock.now() };
          mux.execute('fake', run, options).then(
            () => settled.set(job.id, (settled.get(job.id) ?? 0) + 1),
            (error: unknown) => {
              if (!(error instanceof DeadlineExceededError)) problems.push(`job ${job.id}: ${String(error)}`);
              waiting.delete(job.id);
              settled.set(job.id, (settled.get(job.id) ?? 0) + 1);
            },
          );
        };

        for (const job of arrivals) {
          if (job.at > clock.now()) await clock.advance(job.at - clock.now());
          submit(job);
        }
        await clock.runAll();
        await mux.close();

        expect(problems).toEqual([]);
        expect(settled.size).toBe(arrivals.length);
        expect([...settled.values()].every((n) => n === 1)).toBe(true);
        for (const [set, counts] of bySet) {
          const tags = set.split(',').filter(Boolean);
          if (tags.length < 2) continue;
          const total = [...counts.values()].reduce((a, b) => a + b, 0);
          if (total < 100) continue;
          const weights = tags.reduce((sum, t) => sum + shares[t]!, 0);
          for (const tag of tags) {
            const share = (counts.get(tag) ?? 0) / total;
            expect(Math.abs(share - shares[tag]! / weights), `${tag} in {${set}}`).toBeLessThanOrEqual(0.05);
          }
        }
      }),
      { numRuns: 25, seed: 27 },
    );
  });
});

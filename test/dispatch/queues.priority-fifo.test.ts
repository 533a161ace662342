import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PriorityFifo } from '../../src/dispatch/queues.js';

interface Entry {
  readonly id: number;
  readonly rank: number;
  done: boolean;
}

function drain(queue: PriorityFifo<Entry>): number[] {
  const out: number[] = [];
  for (let e = queue.shift(); e; e = queue.shift()) out.push(e.id);
  return out;
}

describe('PriorityFifo', () => {
  it('gives higher ranks first and equal ranks in push order', () => {
    const q = new PriorityFifo<Entry>();
    const ranks = [0, 0, 1, 0, -0.5, 1, 0];
    ranks.forEach((rank, id) => {
      q.push({ id, rank, done: false });
    });
    expect(drain(q)).toEqual([2, 5, 0, 1, 3, 6, 4]);
    expect(q.shift()).toBeUndefined();
  });

  it('skips entries that left early, and drops them once they are half the queue', () => {
    const q = new PriorityFifo<Entry>();
    const entries = Array.from({ length: 10 }, (_, id) => ({ id, rank: 0, done: false }));
    for (const e of entries) q.push(e);
    for (const e of entries.slice(0, 4)) {
      e.done = true;
      q.dropped();
    }
    expect(q.length).toBe(10);
    entries[4]!.done = true;
    q.dropped();
    expect(q.length).toBe(5);
    expect(drain(q)).toEqual([5, 6, 7, 8, 9]);
  });

  it('matches a stable sort by rank over random pushes, shifts and drops', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: -3, max: 3 }),
            fc.constant('shift' as const),
            fc.constant('drop' as const),
          ),
          {
            maxLength: 200,
          },
        ),
        (ops) => {
          const q = new PriorityFifo<Entry>();
          const model: Entry[] = [];
          let id = 0;
          for (const op of ops) {
            if (op === 'shift') {
              const live = model.filter((e) => !e.done);
              live.sort((a, b) => b.rank - a.rank || a.id - b.id);
              const expected = live[0];
              expect(q.shift()?.id).toBe(expected?.id);
              if (expected) expected.done = true;
            } else if (op === 'drop') {
              const victim = model.find((e) => !e.done);
              if (victim) {
                victim.done = true;
                q.dropped();
              }
            } else {
              const e = { id: id++, rank: op, done: false };
              model.push(e);
              q.push(e);
            }
          }
          const rest = model.filter((e) => !e.done).sort((a, b) => b.rank - a.rank || a.id - b.id);
          expect(drain(q)).toEqual(rest.map((e) => e.id));
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { type FairEntry, FairQueue } from '../../src/dispatch/queues.js';

interface Job extends FairEntry {
  readonly id: string;
  done: boolean;
}

let order = 0;
function job(id: string, fields: Partial<Pick<Job, 'priority' | 'tag' | 'deadline' | 'rank'>> = {}): Job {
  const priority = fields.priority ?? 0;
  return {
    id,
    priority,
    rank: fields.rank ?? priority,
    order: order++,
    tag: fields.tag,
    deadline: fields.deadline,
    done: false,
  };
}

const drain = (queue: FairQueue<Job>): string[] =>
  Array.from({ length: 1_000 }, () => queue.shift()?.id).filter((id) => id !== undefined);

describe('FairQueue', () => {
  it('without tags or deadlines: priority, then arrival', () => {
    const q = new FairQueue<Job>(() => 1);
    for (const j of [job('a'), job('b', { priority: 1 }), job('c'), job('d', { priority: 1 })]) q.push(j);
    expect(drain(q)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('earliest deadline first within a priority; jobs without one after those with', () => {
    const q = new FairQueue<Job>(() => 1);
    const jobs = [
      job('none-1'),
      job('late', { deadline: 9_000 }),
      job('soon', { deadline: 1_000 }),
      job('none-2'),
      job('mid', { deadline: 5_000 }),
      job('high', { priority: 1, deadline: 99_000 }),
    ];
    for (const j of jobs) q.push(j);
    expect(drain(q)).toEqual(['high', 'soon', 'mid', 'late', 'none-1', 'none-2']);
  });

  it('a priority that waited long still rises above newer higher ones (aging by rank)', () => {
    const q = new FairQueue<Job>(() => 1);
    // An old priority-0 job (rank 0) against a priority-5 job that came 6 aging steps later (rank -1).
    q.push(job('old-low', { priority: 0, rank: 0 }));
    q.push(job('new-high', { priority: 5, rank: -1 }));
    expect(drain(q)).toEqual(['old-low', 'new-high']);
  });

  it('tags take turns by weight, and a tag that comes back starts at the current turn', () => {
    const weights: Record<string, number> = { a: 3, b: 1 };
    const q = new FairQueue<Job>((tag) => weights[tag ?? ''] ?? 1);
    for (let i = 0; i < 40; i++) q.push(job(`a${i}`, { tag: 'a' }));
    for (let i = 0; i < 40; i++) q.push(job(`b${i}`, { tag: 'b' }));
    const first = Array.from({ length: 40 }, () => q.shift()!.tag);
    expect(first.filter((t) => t === 'a')).toHaveLength(30);
    // c arrives late: it is served within a turn, not after the 40 jobs left, nor ahead of all of them.
    q.push(job('c0', { tag: 'c' }));
    const next = Array.from({ length: 6 }, () => q.shift()!.id);
    expect(next.indexOf('c0')).toBeGreaterThanOrEqual(0);
    expect(next.indexOf('c0')).toBeLessThan(3);
  });

  it('no tag starves: a tag of weight 1 beside one of 100 waits at most Σweights / w + 1 = 102 jobs', () => {
    const q = new FairQueue<Job>((tag) => (tag === 'big' ? 100 : 1));
    for (let i = 0; i < 1_000; i++) q.push(job(`big${i}`, { tag: 'big' }));
    for (let i = 0; i < 5; i++) q.push(job(`small${i}`, { tag: 'small' }));
    const served = Array.from({ length: 505 }, () => q.shift()!.tag);
    const at = served.flatMap((tag, i) => (tag === 'small' ? [i] : []));
    expect(at).toHaveLength(5);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(102);
  });

  it('priority comes before the tags’ turns and deadlines', () => {
    const q = new FairQueue<Job>((tag) => (tag === 'heavy' ? 10 : 1));
    q.push(job('heavy-urgent', { tag: 'heavy', deadline: 1 }));
    q.push(job('light-high', { tag: 'light', priority: 1 }));
    expect(drain(q)).toEqual(['light-high', 'heavy-urgent']);
  });

  it('a job that left is skipped, and an emptied tag leaves the turn', () => {
    const q = new FairQueue<Job>(() => 1);
    const a = job('a', { tag: 'x' });
    const b = job('b', { tag: 'y' });
    const c = job('c', { tag: 'y' });
    for (const j of [a, b, c]) q.push(j);
    expect(q.peek()).toBe(a);
    a.done = true;
    q.dropped(a);
    expect(drain(q)).toEqual(['b', 'c']);
    expect(q.peek()).toBeUndefined();
  });
});

/**
 * The backlog's queue alone: 100 000 jobs pushed, then taken, through the FairQueue (no tags or
 * deadlines; 4 tags with deadlines) against the PriorityFifo it replaced. Rounds alternate; medians.
 * Run: npx tsx bench/backlog-queue.ts   (JOBS=… and ROUNDS=… to change the size)
 */
import { type FairEntry, FairQueue, PriorityFifo } from '../src/dispatch/queues.js';

const JOBS = Number(process.env.JOBS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

interface Job extends FairEntry {
  done: boolean;
}

function jobs(tags: boolean): Job[] {
  return Array.from({ length: JOBS }, (_, i) => ({
    priority: 0,
    rank: -i / 1000,
    order: i,
    tag: tags ? `t${i % 4}` : undefined,
    deadline: tags && i % 2 === 0 ? 1e9 - i : undefined,
    done: false,
  }));
}

function timeFifo(list: Job[]): number {
  const start = performance.now();
  const q = new PriorityFifo<Job>();
  for (const j of list) q.push(j, j.order);
  while (q.shift()) {}
  return performance.now() - start;
}

function timeFair(list: Job[]): number {
  const start = performance.now();
  const weights: Record<string, number> = { t0: 3, t1: 1, t2: 2, t3: 1 };
  const q = new FairQueue<Job>((tag) => (tag === undefined ? 1 : (weights[tag] ?? 1)));
  for (const j of list) q.push(j);
  while (q.shift()) {}
  return performance.now() - start;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const plain = jobs(false);
const tagged = jobs(true);
const runs = { fifo: [] as number[], fair: [] as number[], fairTags: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  runs.fifo.push(timeFifo(plain));
  runs.fair.push(timeFair(plain));
  runs.fairTags.push(timeFair(tagged));
}
const us = (ms: number): string => ((ms * 1000) / JOBS).toFixed(3);
console.log(`${JOBS} jobs pushed then taken, median of ${ROUNDS} rounds (µs per job)`);
console.table({
  'PriorityFifo (before)': us(median(runs.fifo)),
  'FairQueue, no tags or deadlines': us(median(runs.fair)),
  'FairQueue, 4 tags, half with deadlines': us(median(runs.fairTags)),
});

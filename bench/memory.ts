/**
 * Heap per queued job: 100 000 jobs queued on a key whose only slot is taken by a call that never ends,
 * so none starts. heapUsed after a full GC, minus the same before, divided by the count. Measured via
 * `mux.execute` (one shared job function, so only keymux's own allocations count) and via the wrapped
 * OpenAI client (`mux.getOpenAIClient()`, one shared request object), then, for the plan in
 * notes/memory-plan.md, the parts a queued job is made of.
 * Run: npm run bench:memory   (JOBS=… to change the count; needs node --expose-gc, which the script sets)
 */
import PQueue from 'p-queue';
import type { Job } from '../src/dispatch/job-context.js';
import { QueuedEntry } from '../src/dispatch/job-context.js';
import { PriorityFifo } from '../src/dispatch/queues.js';
import { Multiplexer } from '../src/multiplexer.js';

const JOBS = Number(process.env.JOBS ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:memory)');
const never = new Promise<never>(() => undefined);
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits until `mux` counts every job as queued: the wrapped client first awaits its SDK's ESM build. */
async function queuedAll(mux: Multiplexer): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if ((mux.getUsageStats().providers.openai?.queued ?? 0) >= JOBS) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the jobs never all reached the queue');
}

async function heapPerItem(fill: (keep: unknown[]) => void | Promise<void>): Promise<number> {
  const keep: unknown[] = new Array(JOBS);
  keep.length = 0;
  for (let i = 0; i < 3; i++) gc!();
  await flush();
  const before = process.memoryUsage().heapUsed;
  await fill(keep);
  for (let i = 0; i < 10; i++) await flush();
  for (let i = 0; i < 3; i++) gc!();
  const after = process.memoryUsage().heapUsed;
  if (keep.length === 0) keep.push(0);
  return (after - before) / JOBS;
}

function blockedMux(): Multiplexer {
  const mux = new Multiplexer({ maxConcurrentRequests: 1, queueSize: JOBS + 10 });
  mux.addKey('openai', { apiKey: 'sk-memory-bench-0123456789', baseURL: 'http://127.0.0.1:9/v1' });
  void mux.execute('openai', () => never).catch(() => undefined);
  return mux;
}

const job = async (): Promise<number> => 1;
const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const swallow = (): undefined => undefined;
const rows: Record<string, number> = {};

{
  const mux = blockedMux();
  await flush();
  rows['mux.execute (queued)'] = await heapPerItem((keep) => {
    for (let i = 0; i < JOBS; i++) {
      const p = mux.execute('openai', job);
      p.catch(swallow);
      keep.push(p);
    }
    return queuedAll(mux);
  });
  await mux.close();
}
{
  const mux = blockedMux();
  const client = mux.getOpenAIClient();
  await flush();
  rows['getOpenAIClient().chat.completions.create (queued)'] = await heapPerItem((keep) => {
    for (let i = 0; i < JOBS; i++) {
      const p = client.chat.completions.create(request);
      p.catch(swallow);
      keep.push(p);
    }
    return queuedAll(mux);
  });
  await mux.close();
}
// The parts, each alone.
rows['  the caller’s promise alone (kept in the array)'] = await heapPerItem((keep) => {
  for (let i = 0; i < JOBS; i++) keep.push(Promise.resolve(i));
});
rows['  p-queue entry, for comparison: add(closure, { priority }) on a busy queue'] = await heapPerItem(
  (keep) => {
    const queue = new PQueue({ concurrency: 1 });
    void queue.add(() => never);
    for (let i = 0; i < JOBS; i++) {
      const n = i;
      keep.push(queue.add(async () => n, { priority: 0 }).catch(swallow));
    }
  },
);
rows['  QueuedEntry + its PriorityFifo slot + its Set entry'] = await heapPerItem((keep) => {
  const waiting = new Set<QueuedEntry>();
  const queue = new PriorityFifo<QueuedEntry>();
  const owner = { ref: { provider: 'openai', name: 'k', label: 'sk-…6789' }, left: swallow };
  const queued = { id: 0, tokens: 0, priority: 0, report: swallow } as unknown as Job<unknown>;
  for (let i = 0; i < JOBS; i++) {
    const entry = new QueuedEntry(queued, 1, owner, 0);
    waiting.add(entry);
    queue.push(entry);
  }
  keep.push(waiting, queue);
});

console.log(`heap per queued job, ${JOBS} jobs (bytes)`);
console.table(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { bytes: Math.round(v) }])));
process.exit(0);

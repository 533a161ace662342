/**
 * Heap per queued job: 100 000 jobs queued on a key whose only slot is taken by a call that never ends,
 * so none starts. heapUsed after a full GC, minus the same before, divided by the count. Measured via
 * `mux.execute` (one shared job function, so only keymux's own allocations count) and via the wrapped
 * OpenAI client (`mux.getOpenAIClient()`, one shared request object), then, for the plan in
 * notes/memory-plan.md, the parts a queued job is made of, each alone.
 * Run: npm run bench:memory   (JOBS=… to change the count; needs node --expose-gc, which the script sets)
 */
import PQueue from 'p-queue';
import { Multiplexer } from '../src/multiplexer.js';
import { QueuedJob } from '../src/worker/job-context.js';
import { PriorityFifo } from '../src/worker/priority-fifo.js';
import { QueuedEntry } from '../src/worker/queued-entry.js';

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
rows['  QueuedJob'] = await heapPerItem((keep) => {
  for (let i = 0; i < JOBS; i++) keep.push(new QueuedJob(i, 0, 0, job));
});
rows['  p-queue entry: add(closure, { priority }) on a busy queue'] = await heapPerItem((keep) => {
  const queue = new PQueue({ concurrency: 1 });
  void queue.add(() => never);
  for (let i = 0; i < JOBS; i++) {
    const n = i;
    keep.push(queue.add(async () => n, { priority: 0 }).catch(swallow));
  }
});
rows['  QueuedEntry (its onAbort arrow included) + its #waiting Set entry'] = await heapPerItem((keep) => {
  const waiting = new Set<QueuedEntry>();
  const queued = new QueuedJob(0, 0, 0, job);
  const key = { provider: 'openai', name: 'k', label: 'sk-…6789' };
  for (let i = 0; i < JOBS; i++) waiting.add(new QueuedEntry(queued, 1, swallow, waiting, key));
  keep.push(waiting);
});
rows['  PriorityFifo slot (src/worker/priority-fifo.ts), entry not counted'] = await heapPerItem((keep) => {
  const queue = new PriorityFifo<{ rank: number; done: boolean }>();
  const entry = { rank: 0, done: false };
  for (let i = 0; i < JOBS; i++) queue.push(entry);
  keep.push(queue);
});
rows['  new Promise + 2 closures (KeyWorker.run)'] = await heapPerItem((keep) => {
  for (let i = 0; i < JOBS; i++) {
    keep.push(
      new Promise((settle) => {
        let started = false;
        const onAbort = (): void => {
          if (!started) settle(i);
        };
        keep.push(onAbort);
        started = i < 0;
      }),
    );
  }
});
rows['  a suspended async function (dispatch awaiting)'] = await heapPerItem((keep) => {
  const f = async (n: number): Promise<number> => {
    const x = await never;
    return x + n;
  };
  for (let i = 0; i < JOBS; i++) keep.push(f(i));
});
rows['  runApiCall’s chain: Promise.all + 2 then + 2 catch + 2 closures'] = await heapPerItem((keep) => {
  const loaded = Promise.resolve();
  for (let i = 0; i < JOBS; i++) {
    const turn = Promise.all([loaded, undefined]);
    const full = turn.then(() => never);
    const data = full.then((r) => r);
    data.catch(swallow);
    full.catch(swallow);
    keep.push(Object.assign(data, { withResponse: () => full, asResponse: () => full.then((r) => r) }));
  }
});

console.log(`heap per queued job, ${JOBS} jobs (bytes)`);
console.table(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { bytes: Math.round(v) }])));
process.exit(0);

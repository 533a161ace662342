/**
 * Overhead of keymux's scheduling: 100 000 no-op jobs through keymux vs the same through one bare
 * p-queue of the same total concurrency, with 1, 10 and 1 000 keys. Run: npm run bench:overhead
 */
import PQueue from 'p-queue';
import { Multiplexer } from '../src/multiplexer.js';
import type { ProviderAdapter } from '../src/providers/adapter.js';

const JOBS = Number(process.env.JOBS ?? 100_000);
const CONCURRENCY = 5;

const noopAdapter: ProviderAdapter = {
  name: 'noop',
  createClient: () => ({}),
  classify: (error) => ({
    class: 'bad-request',
    status: undefined,
    retryAfterMs: undefined,
    message: String(error),
    error,
  }),
};

async function bare(keys: number): Promise<number> {
  const queue = new PQueue({ concurrency: keys * CONCURRENCY });
  const start = performance.now();
  const jobs: Array<Promise<unknown>> = [];
  for (let i = 0; i < JOBS; i++) jobs.push(queue.add(async () => i));
  await Promise.all(jobs);
  return performance.now() - start;
}

async function keymux(keys: number): Promise<number> {
  const mux = new Multiplexer({
    maxConcurrentRequests: CONCURRENCY,
    queueSize: JOBS,
    strategy: 'least-loaded',
  });
  mux.registerProvider(noopAdapter);
  for (let k = 0; k < keys; k++) mux.addKey('noop', { apiKey: `bench-key-${k}-0123456789` });
  const start = performance.now();
  const jobs: Array<Promise<unknown>> = [];
  for (let i = 0; i < JOBS; i++) jobs.push(mux.execute('noop', async () => i));
  await Promise.all(jobs);
  const ms = performance.now() - start;
  await mux.close();
  return ms;
}

const rows: Array<Record<string, string | number>> = [];
for (const keys of [1, 10, 1000]) {
  await bare(keys);
  await keymux(keys); // warm-up
  const b = await bare(keys);
  const k = await keymux(keys);
  rows.push({
    keys,
    'bare p-queue µs/job': +((b * 1000) / JOBS).toFixed(2),
    'keymux µs/job': +((k * 1000) / JOBS).toFixed(2),
    ratio: +(k / b).toFixed(2),
  });
}
console.log(`${JOBS} no-op jobs, concurrency ${CONCURRENCY} per key, node ${process.version}`);
console.table(rows);

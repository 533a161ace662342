/**
 * Overhead of keymux's scheduling: 100 000 no-op jobs through keymux vs the same through one bare
 * p-queue of the same total concurrency (5 per key), with 1, 10 and 1 000 keys, for the default
 * strategy (round-robin) and least-loaded. Rounds alternate bare and keymux; medians are reported.
 * The budgets column runs the same jobs under one token budget that never refuses (each job reserves its
 * estimate and settles its usage): what budgets add per job, the median of each round's own difference
 * (the two runs of a round are back to back, in alternating order, after a full GC when `--expose-gc`).
 * Run: npm run bench:overhead   (JOBS=… and ROUNDS=… to change the size)
 * `KEYMUX_BENCH_OTEL=noop` registers an OpenTelemetry tracer provider whose exporter drops every span;
 * `npm run bench:telemetry` runs this with OpenTelemetry absent, installed but unregistered, and so.
 */
import PQueue from 'p-queue';
import type { Strategy } from '../src/config/options.js';
import { Multiplexer } from '../src/multiplexer.js';
import type { ProviderAdapter } from '../src/providers/adapter.js';
import { loadApi } from '../src/telemetry/load-api.js';

if (process.env.KEYMUX_BENCH_OTEL === 'noop') {
  const { trace } = await import('@opentelemetry/api');
  const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const dropAll = {
    export: (_: unknown, done: (r: { code: 0 }) => void) => done({ code: 0 }),
    shutdown: async () => undefined,
  };
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(dropAll)] }),
  );
}
// The API loads in the background when a multiplexer is made: loaded before the first round.
await loadApi();

const JOBS = Number(process.env.JOBS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONCURRENCY = 5;

const noopAdapter: ProviderAdapter = {
  name: 'noop',
  createClient: () => ({}),
  classify: (error) => ({
    class: 'bad-request',
    status: undefined,
    retryAfterMs: undefined,
    message: '',
    error,
  }),
};

async function bare(keys: number): Promise<number> {
  gc();
  const queue = new PQueue({ concurrency: keys * CONCURRENCY });
  const start = performance.now();
  const jobs: Array<Promise<unknown>> = [];
  for (let i = 0; i < JOBS; i++) jobs.push(queue.add(async () => i));
  await Promise.all(jobs);
  return performance.now() - start;
}

/** A full collection before each timed run, when node runs with --expose-gc: no run pays for another's garbage. */
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const BUDGETS = [{ name: 'bench', tokens: Number.MAX_SAFE_INTEGER }];
const USAGE = { inputTokens: 1, outputTokens: 1 };

async function keymux(keys: number, strategy: Strategy, budgets = false): Promise<number> {
  const mux = new Multiplexer({
    maxConcurrentRequests: CONCURRENCY,
    queueSize: JOBS,
    strategy,
    ...(budgets ? { budgets: BUDGETS } : {}),
  });
  mux.registerProvider(noopAdapter);
  for (let k = 0; k < keys; k++) mux.addKey('noop', { apiKey: `bench-key-${k}-0123456789` });
  gc();
  const start = performance.now();
  const jobs: Array<Promise<unknown>> = [];
  // The same job with or without budgets: it reports usage, as a wrapped SDK call does.
  for (let i = 0; i < JOBS; i++) {
    jobs.push(
      mux.execute(
        'noop',
        async (_client, ctx) => {
          ctx.reportUsage(USAGE);
          return i;
        },
        { tokens: 2 },
      ),
    );
  }
  await Promise.all(jobs);
  const ms = performance.now() - start;
  await mux.close();
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const perJob = (ms: number) => +((ms * 1000) / JOBS).toFixed(2);
const rows: Array<Record<string, string | number>> = [];
for (const strategy of ['round-robin', 'least-loaded'] as const) {
  for (const keys of [1, 10, 1000]) {
    await bare(keys);
    await keymux(keys, strategy); // warm-up
    await keymux(keys, strategy, true);
    const b: number[] = [];
    const k: number[] = [];
    const g: number[] = [];
    const added: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      b.push(await bare(keys));
      // Alternating which of the pair runs first: neither always inherits the other's heap and JIT state.
      const first = await keymux(keys, strategy, r % 2 === 1);
      const second = await keymux(keys, strategy, r % 2 === 0);
      const [without, withBudgets] = r % 2 === 1 ? [second, first] : [first, second];
      k.push(without);
      g.push(withBudgets);
      added.push((withBudgets - without) / without);
    }
    rows.push({
      strategy,
      keys,
      'bare p-queue µs/job': perJob(median(b)),
      'keymux µs/job': perJob(median(k)),
      ratio: +(median(k) / median(b)).toFixed(2),
      'with budgets µs/job': perJob(median(g)),
      'budgets added': `${(median(added) * 100).toFixed(1)}%`,
    });
  }
}
const otel = process.env.KEYMUX_BENCH_OTEL ?? ((await loadApi()) ? 'installed, unregistered' : 'absent');
console.log(
  `${JOBS} no-op jobs, concurrency ${CONCURRENCY} per key, median of ${ROUNDS} rounds, node ${process.version}, OpenTelemetry: ${otel}`,
);
console.table(rows);

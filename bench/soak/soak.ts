/**
 * `npm run soak`: thousands of jobs over tens of keys against the in-process emulator, with injected
 * faults (faults.ts), a 401 key, a quota key, caller aborts and deadlines, a key disabled and one
 * removed mid-run; then the invariants of issue 9 are checked against the emulator's ledger
 * (checks.ts). Flags: --jobs 10000 --keys 50 --seed 1 --spread-ms 20000. Exit code 1 on any failed check.
 */
import type OpenAI from 'openai';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/index.js';
import { type Check, runChecks } from './checks.js';
import { soakFaults } from './faults.js';
import { type PlannedJob, planJobs } from './plan.js';
import { printSummary } from './summary.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
}

const JOBS = flag('jobs', 10_000);
const KEYS = flag('keys', 50);
const SEED = flag('seed', 1);
const SPREAD_MS = flag('spread-ms', 20_000);
const LIMITS = { rpm: 300, concurrency: 4 };

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

const names = Array.from({ length: KEYS }, (_, i) => `k-${String(i).padStart(2, '0')}`);
const secret = (name: string): string => `sk-soak-${name}-${'x'.repeat(24)}`;
// k-00 is unknown to the emulator (401); k-01's quota is spent (faults.ts).
const emulator = await startEmulator({
  keys: names.slice(1).map((name) => ({ key: secret(name), name })),
  defaultLimits: { rpm: LIMITS.rpm, tpm: 10_000_000, concurrency: LIMITS.concurrency * 2 },
  latency: { kind: 'uniform', minMs: 5, maxMs: 40 },
  faults: soakFaults((i) => names[i]!),
  seed: SEED,
});
const mux = new Multiplexer({
  maxConcurrentRequests: LIMITS.concurrency,
  queueSize: JOBS,
  initialRetryDelay: 20,
  maxRetryDelay: 500,
  maxRetries: 6,
  cooldownMs: 2_000,
  rateLimitCooldownMs: 1_000,
  strategy: 'least-loaded',
});
const baseURL = baseUrlFor('openai', emulator.url);
for (const name of names)
  mux.addKey('openai', { name, apiKey: secret(name), baseURL, limits: { rpm: LIMITS.rpm } });

const requestsByKey = new Map<string, number>();
const out = new Set<string>();
const usedWhileOut: string[] = [];
const removedAt = new Map<string, number>();
mux.on('*', (event) => {
  if (event.type === 'request') {
    requestsByKey.set(event.key.name, (requestsByKey.get(event.key.name) ?? 0) + 1);
    if (out.has(event.key.name)) usedWhileOut.push(`${event.key.name} job ${event.jobId}`);
  } else if (event.type === 'key-disabled' || event.type === 'key-removed') out.add(event.key.name);
  else if (event.type === 'key-enabled') out.delete(event.key.name);
});

const jobs = planJobs({ jobs: JOBS, spreadMs: SPREAD_MS, seed: SEED });
const settled = new Map<string, number>();
const succeeded = new Set<string>();
const callerEnded = new Set<string>();
const failures = new Map<string, number>();
/** One message per kind of failure, for the summary. */
const samples = new Map<string, string>();
const client = mux.getOpenAIClient();
const body = (job: PlannedJob) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: `soak ${job.id}` }],
  max_tokens: 16,
});

/** One job: plain completions through `execute`, streams through the wrapped client. */
async function run(job: PlannedJob): Promise<void> {
  const caller = new AbortController();
  const timer =
    job.abortAfterMs === undefined
      ? undefined
      : setTimeout(() => caller.abort(new Error('caller abort')), job.abortAfterMs);
  const headers = { 'x-keymux-job-id': job.id };
  const options = { priority: job.priority, timeoutMs: job.timeoutMs, signal: caller.signal };
  try {
    if (job.stream) {
      const stream = await client.chat.completions.create(
        { ...body(job), stream: true },
        { headers, signal: caller.signal },
      );
      for await (const _chunk of stream);
    } else {
      await mux.execute(
        'openai',
        (c, ctx) => (c as OpenAI).chat.completions.create(body(job), { headers, signal: ctx.signal }),
        options,
      );
    }
    succeeded.add(job.id);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
    if (caller.signal.aborted || code === 'TIMEOUT') callerEnded.add(job.id);
    failures.set(name, (failures.get(name) ?? 0) + 1);
    if (!samples.has(name))
      samples.set(
        name,
        `${job.stream ? 'stream' : 'call'}: ${String((error as Error).message).slice(0, 120)}`,
      );
  } finally {
    clearTimeout(timer);
    settled.set(job.id, (settled.get(job.id) ?? 0) + 1);
  }
}

const startedAt = Date.now();
const actions: Array<[number, () => void]> = [
  [0.25, () => mux.disableKey('openai', names[3]!)],
  [
    0.4,
    () => {
      mux.removeKey('openai', names[4]!);
      removedAt.set(names[4]!, Date.now());
    },
  ],
  [0.55, () => mux.enableKey('openai', names[3]!)],
];
const timers = actions.map(([at, act]) => setTimeout(act, at * SPREAD_MS));
const running = jobs.map(
  (job) => new Promise<void>((resolve) => setTimeout(() => run(job).then(resolve), job.atMs)),
);
await Promise.all(running);
for (const t of timers) clearTimeout(t);
await mux.drain();
const elapsedMs = Date.now() - startedAt;
await mux.close();
const stats = mux.getUsageStats();
await emulator.close();
await new Promise((resolve) => setImmediate(resolve));

const checks: Check[] = runChecks(
  {
    jobs: jobs.map((j) => j.id),
    settled,
    succeeded,
    callerEnded,
    requestsByKey,
    usedWhileOut,
    removedAt,
    limits: LIMITS,
    warnings,
  },
  emulator.ledger,
  stats,
  names.slice(1),
);
const unknownKeyOk = (requestsByKey.get(names[0]!) ?? 0) === (emulator.ledger.countByKey()['<unknown>'] ?? 0);
checks.push({
  name: '401 key: requests match the ledger',
  ok: unknownKeyOk,
  detail: `${requestsByKey.get(names[0]!) ?? 0} sent`,
});
printSummary({
  jobs: JOBS,
  keys: KEYS,
  elapsedMs,
  succeeded: succeeded.size,
  samples,
  failures,
  ledger: emulator.ledger,
  checks,
});
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
// The process must end on its own: a timer or socket left behind would keep it alive past this.
setTimeout(() => {
  process.stderr.write('soak: FAILED: the process did not exit on its own within 10 s\n');
  process.exit(1);
}, 10_000).unref();

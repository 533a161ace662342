import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { baseUrlFor, type Emulator, startEmulator } from '../../emulator/index.js';
import { Multiplexer } from '../../multiplexer.js';

/** `keymux bench --offload`: the same jobs all synchronous, then with batch offload; cost and limits used. */
export interface OffloadBenchOptions {
  readonly jobs: number;
  readonly keys: number;
  /** Provider ms per real ms: the emulator and both multiplexers run on this scaled clock. */
  readonly timeScale: number;
  readonly seed: number;
  /** Fractions of batch lines that fail or expire (re-sent synchronously). */
  readonly failRate: number;
  readonly expireRate: number;
}

export const OFFLOAD_BENCH_DEFAULTS: OffloadBenchOptions = {
  jobs: 20_000,
  keys: 5,
  timeScale: 600,
  seed: 1,
  failRate: 0.01,
  expireRate: 0.01,
};

export interface OffloadRunResult {
  readonly mode: 'synchronous' | 'offload';
  readonly usd: number;
  /** Requests and tokens charged to the keys' synchronous limits (the emulator's ledger). */
  readonly syncRequests: number;
  readonly syncTokens: number;
  readonly batches: number;
  readonly batchLines: number;
  readonly answered: number;
  readonly lost: number;
  readonly failed: number;
  /** Answers whose fingerprint (completion tokens = the job's own max_tokens) is not the caller's. */
  readonly mismatched: number;
  /** custom_ids put in more than one batch. */
  readonly duplicatedLines: number;
  readonly wallMs: number;
}

const DAY = 86_400_000;

/** Real time, `scale` times faster, from the same start for the emulator and the multiplexer. */
function scaledClock(scale: number): Clock {
  const t0 = Date.now();
  return {
    now: () => t0 + (Date.now() - t0) * scale,
    sleep: (ms, signal, options) => systemClock.sleep(ms / scale, signal, options),
  };
}

/** Job i asks for `1 + i % 97` tokens and gets exactly that many (the emulator answers 200 when allowed). */
const maxTokensOf = (i: number): number => 1 + (i % 97);

async function runOnce(mode: OffloadRunResult['mode'], o: OffloadBenchOptions): Promise<OffloadRunResult> {
  const clock = scaledClock(o.timeScale);
  const keys = Array.from({ length: o.keys }, (_, i) => ({
    key: `sk-offload-bench-${i}-0123456789`,
    name: `k${i}`,
  }));
  const emulator: Emulator = await startEmulator({
    keys,
    defaultLimits: { rpm: 500, tpm: 200_000 },
    outputTokens: { min: 200, max: 200 },
    seed: o.seed,
    now: () => clock.now(),
    batches: {
      timeScale: 1,
      validatingMs: 60_000,
      processingMs: 2 * 3_600_000,
      finalizingMs: 60_000,
      failRate: o.failRate,
      expireRate: o.expireRate,
    },
  });
  const mux = new Multiplexer({
    clock,
    // 180 s of scaled time is 25 ms of real time: HTTP alone would time attempts out.
    attemptTimeoutMs: DAY,
    queueSize: o.jobs,
    ...(mode === 'offload' && { batchOffload: { minDeadline: '1h', maxWait: '5m', maxRequests: 10_000 } }),
  });
  for (const k of keys)
    mux.addKey('openai', {
      name: k.name,
      apiKey: k.key,
      baseURL: baseUrlFor('openai', emulator.url),
      limits: { rpm: 500, tpm: 200_000 },
    });
  // The all-synchronous run has no deadline: it stands for sending the same jobs without keymux's offload.
  const openai = mux.getOpenAIClient(mode === 'offload' ? { deadline: DAY } : {});
  const started = Date.now();
  let answered = 0;
  let failed = 0;
  let mismatched = 0;
  await Promise.all(
    Array.from({ length: o.jobs }, async (_, i) => {
      try {
        const reply = await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: `job ${i}: summarise the attached record` }],
          max_tokens: maxTokensOf(i),
        });
        answered++;
        if (reply.usage?.completion_tokens !== maxTokensOf(i)) mismatched++;
      } catch {
        failed++;
      }
    }),
  );
  const wallMs = Date.now() - started;
  const stats = mux.getUsageStats();
  await mux.close();
  await emulator.close();
  const sync = emulator.ledger.entries().filter((e) => e.endpoint === 'chat' && e.admitted);
  const lines = emulator.batches().flatMap((b) => b.customIds);
  return {
    mode,
    usd: (stats.spend?.costs ?? []).reduce((sum, row) => sum + row.usd, 0),
    syncRequests: sync.length,
    syncTokens: sync.reduce((sum, e) => sum + e.chargedTokens, 0),
    batches: emulator.batches().length,
    batchLines: lines.length,
    answered,
    lost: o.jobs - answered - failed,
    failed,
    mismatched,
    duplicatedLines: lines.length - new Set(lines).size,
    wallMs,
  };
}

/** Both runs, one after the other, on fresh emulators. */
export async function runOffloadBench(o: OffloadBenchOptions): Promise<readonly OffloadRunResult[]> {
  const sync = await runOnce('synchronous', o);
  const offload = await runOnce('offload', o);
  return [sync, offload];
}

export function renderOffloadBench(results: readonly OffloadRunResult[], o: OffloadBenchOptions): string {
  const [sync, off] = results;
  const perJob = (r: OffloadRunResult): number => (r.answered > 0 ? r.usd / r.answered : 0);
  const rows = results.map(
    (r) =>
      `| ${r.mode} | ${r.usd.toFixed(4)} | ${(perJob(r) * 1000).toFixed(5)} | ${r.syncRequests} | ${r.syncTokens} | ${r.batches} | ${r.batchLines} | ${r.answered} | ${r.lost} | ${r.failed} | ${r.mismatched} | ${r.duplicatedLines} | ${(r.wallMs / 1000).toFixed(1)} |`,
  );
  const saving = sync && off && perJob(sync) > 0 ? (1 - perJob(off) / perJob(sync)) * 100 : 0;
  const limits = sync && off && sync.syncRequests > 0 ? (off.syncRequests / sync.syncRequests) * 100 : 0;
  return [
    `${o.jobs} jobs, deadline 24 h, ${o.keys} keys (500 rpm, 200k tpm each), gpt-4o-mini at the built-in price table's prices (batch 50%); batch lines failing ${o.failRate * 100}% / expiring ${o.expireRate * 100}%; time ×${o.timeScale}`,
    '',
    '| mode | cost USD | USD per 1000 jobs | sync requests | sync tokens | batches | batch lines | answered | lost | failed | mismatched | duplicated lines | wall s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `cost per answered job ${saving.toFixed(1)}% lower with offload; synchronous limits used: ${limits.toFixed(1)}% of the all-synchronous run`,
  ].join('\n');
}

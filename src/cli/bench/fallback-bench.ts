import { baseUrlFor, type LedgerEntry, startEmulator } from '../../emulator/index.js';
import { Multiplexer } from '../../multiplexer.js';

/** `keymux bench --fallback`: what to run (the command's flags, with this mode's own defaults). */
export interface FallbackBenchOptions {
  readonly jobs: number;
  /** From this long into the run on, every request of the primary model gets 429 insufficient_quota. */
  readonly quotaAtMs: number;
  /** Requests per minute of each primary key; each fallback key gets half. */
  readonly rpm: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  readonly seed: number;
}

export const FALLBACK_BENCH_DEFAULTS = { jobs: 400, quotaAtMs: 3000, rpm: 1200, latency: '100' } as const;

/** What `keymux bench --fallback` measured; `--json` writes it whole. */
export interface FallbackBenchResult {
  readonly options: FallbackBenchOptions;
  readonly failed: number;
  readonly servedByPrimary: number;
  readonly servedByFallback: number;
  /** `fallback` events by reason. */
  readonly fallbacks: Readonly<Record<string, number>>;
  /** The fallback pool's requests per second from its first answer after the switch to its last. */
  readonly goodput: number;
  /** The fallback pool's capacity: its keys' rpm / 60. */
  readonly capacity: number;
  /** From the primary's first quota answer to the first fallback request's arrival, and its answer. */
  readonly sentMs: number;
  readonly servedMs: number;
  /** The primary's median request latency before the switch. */
  readonly latencyMs: number;
  /** Fallbacks handled before the first fallback request arrived: work ahead of it, whatever the load. */
  readonly handledBeforeFirstSend: number;
  readonly wallSeconds: number;
}

const PRIMARY = 'gpt-4.1';
const FALLBACK = 'llama-3.3-70b-versatile';
const openaiKeys = ['sk-bench-openai-00000001', 'sk-bench-openai-00000002'];
const groqKeys = ['gsk-bench-groq-000000001', 'gsk-bench-groq-000000002'];

/**
 * A primary model whose keys run out of quota mid-run (every request for it gets 429 insufficient_quota
 * from `quotaAtMs` on), with a fallback model on other keys (Groq): every job is submitted at once.
 */
export async function runFallbackBench(options: FallbackBenchOptions): Promise<FallbackBenchResult> {
  const { jobs, rpm } = options;
  const fallbackRpm = Math.max(1, Math.floor(rpm / 2));
  const pool = (limit: number) => ({ rpm: limit, tpm: 100_000_000 });
  const emulator = await startEmulator({
    keys: [
      ...openaiKeys.map((key, i) => ({ key, name: `openai-${i}`, provider: 'openai' as const })),
      ...groqKeys.map((key, i) => ({ key, name: `groq-${i}`, provider: 'groq' as const })),
    ],
    pools: {
      'openai-0': pool(rpm),
      'openai-1': pool(rpm),
      'groq-0': pool(fallbackRpm),
      'groq-1': pool(fallbackRpm),
    },
    latency:
      options.latencyMinMs === options.latencyMaxMs
        ? { kind: 'fixed', ms: options.latencyMinMs }
        : { kind: 'uniform', minMs: options.latencyMinMs, maxMs: options.latencyMaxMs },
    seed: options.seed,
  });
  // Every job is submitted at once: the queues hold them all (the default, 100 a key, would refuse some).
  const mux = new Multiplexer({ queueSize: jobs, fallbacks: { [PRIMARY]: [`groq/${FALLBACK}`] } });
  try {
    for (const [i, apiKey] of openaiKeys.entries()) {
      const baseURL = baseUrlFor('openai', emulator.url);
      mux.addKey('openai', { name: `openai-${i}`, apiKey, baseURL, limits: { rpm } });
    }
    for (const [i, apiKey] of groqKeys.entries()) {
      const baseURL = baseUrlFor('groq', emulator.url);
      mux.addKey('groq', { name: `groq-${i}`, apiKey, baseURL, limits: { rpm: fallbackRpm } });
    }
    const reasons: Record<string, number> = {};
    const fallbackTimes: number[] = [];
    mux.on('fallback', (e) => {
      reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
      fallbackTimes.push(e.at);
    });
    // Warm-up: each SDK loaded once (a service that used its fallback pool before); left out of the figures.
    const hello = [{ role: 'user' as const, content: 'Hello' }];
    await mux.getGroqClient().chat.completions.create({ model: FALLBACK, messages: hello });
    const openai = mux.getOpenAIClient();
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const started = performance.now();
    // Out of quota `quotaAtMs` into the run (after the warm-up, however long the SDKs took to load).
    const quota = setTimeout(
      () => emulator.addFault({ kind: 'quota', provider: 'openai', model: PRIMARY }),
      options.quotaAtMs,
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: jobs }, () => openai.chat.completions.create({ model: PRIMARY, messages: hello })),
    );
    clearTimeout(quota);
    const wallSeconds = (performance.now() - started) / 1000;
    const served = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.model] : []));
    const figures = switchFigures(emulator.ledger.entries(), fallbackTimes);
    return {
      options,
      failed: outcomes.length - served.length,
      servedByPrimary: served.filter((m) => m === PRIMARY).length,
      servedByFallback: served.filter((m) => m !== PRIMARY).length,
      fallbacks: reasons,
      capacity: (2 * fallbackRpm) / 60,
      wallSeconds,
      ...figures,
    };
  } finally {
    await mux.close();
    await emulator.close();
  }
}

type SwitchFigures = Pick<
  FallbackBenchResult,
  'goodput' | 'sentMs' | 'servedMs' | 'latencyMs' | 'handledBeforeFirstSend'
>;

/** The switch as the emulator's ledger saw it (one clock for every figure). */
function switchFigures(ledger: readonly LedgerEntry[], fallbackTimes: readonly number[]): SwitchFigures {
  const byStart = (a: LedgerEntry, b: LedgerEntry): number => a.startedAt - b.startedAt;
  const firstQuota = ledger.filter((e) => e.provider === 'openai' && e.status === 429).sort(byStart)[0];
  const exhaustedAt = firstQuota?.endedAt ?? Number.NaN;
  const fallbackServed = ledger
    .filter((e) => e.provider === 'groq' && e.status === 200 && e.startedAt >= (firstQuota?.startedAt ?? 0))
    .sort(byStart);
  const latencies = ledger
    .filter((e) => e.provider === 'openai' && e.status === 200)
    .map((e) => (e.endedAt ?? e.startedAt) - e.startedAt)
    .sort((a, b) => a - b);
  const first = fallbackServed[0];
  const last = fallbackServed.at(-1);
  const spanSeconds = ((last?.endedAt ?? 0) - (first?.startedAt ?? 0)) / 1000;
  return {
    goodput: fallbackServed.length / spanSeconds,
    sentMs: (first?.startedAt ?? Number.NaN) - exhaustedAt,
    servedMs: (first?.endedAt ?? Number.NaN) - exhaustedAt,
    latencyMs: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
    handledBeforeFirstSend: fallbackTimes.filter((at) => at <= (first?.startedAt ?? 0)).length,
  };
}

/** The result as the command prints it. */
export function renderFallbackBench(r: FallbackBenchResult): string {
  const fallbackCount = Object.values(r.fallbacks).reduce((a, b) => a + b, 0);
  const percent = ((100 * r.goodput) / r.capacity).toFixed(1);
  return [
    `fallback bench: ${r.options.jobs} jobs for ${PRIMARY} at once; its 2 OpenAI keys (${r.options.rpm} rpm each) answer 429 insufficient_quota from ${r.options.quotaAtMs} ms on; fallback groq/${FALLBACK} on 2 keys`,
    `jobs ${r.options.jobs}, failed ${r.failed}, wall ${r.wallSeconds.toFixed(1)} s`,
    `served by ${PRIMARY}: ${r.servedByPrimary}, by ${FALLBACK}: ${r.servedByFallback}`,
    `fallback events by reason: ${JSON.stringify(r.fallbacks)}`,
    `fallback pool goodput after the switch: ${r.goodput.toFixed(1)} req/s of ${r.capacity.toFixed(1)} (${percent}%)`,
    `exhaustion → first fallback sent: ${r.sentMs.toFixed(0)} ms, served: ${r.servedMs.toFixed(0)} ms (one request's latency: ${r.latencyMs.toFixed(0)} ms)`,
    `fallbacks handled before the first fallback request arrived: ${r.handledBeforeFirstSend} of ${fallbackCount}`,
  ].join('\n');
}

import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type BuiltinProvider, STRATEGIES, type Strategy } from '../config/options.js';
import { type Arrival, BENCH_DEFAULTS, type BenchOptions, type LimitsMode } from './bench/bench-options.js';
import { describeCapacity, renderBenchTables } from './bench/bench-table.js';
import { FALLBACK_BENCH_DEFAULTS, renderFallbackBench, runFallbackBench } from './bench/fallback-bench.js';
import { renderHtmlReport } from './bench/html-report.js';
import { OFFLOAD_BENCH_DEFAULTS, renderOffloadBench, runOffloadBench } from './bench/offload-bench.js';
import { runProcessBench } from './bench/process-bench.js';
import { runBench } from './bench/run-bench.js';
import { keyEnvVars } from './shared/key-env.js';
import {
  exitTwoOnMisuse,
  oneOf,
  positiveNumber,
  runAction,
  strategyArgument,
  wholeNumber,
} from './shared/usage-error.js';

const PROVIDERS: readonly BuiltinProvider[] = ['openai', 'anthropic', 'gemini', 'groq'];
const D = BENCH_DEFAULTS;

/** `keymux bench`: throughput of one key, of naive rotation and of keymux, side by side. */
export function registerBenchCommand(program: Command): Command {
  const command = program
    .command('bench')
    .description(
      'Measure throughput against the theoretical capacity: one key with SDK retries, naive rotation, and keymux, ' +
        'on the same workload. Runs on the embedded emulator unless real keys are in the environment ' +
        `(${keyEnvVars('openai').join(', ')}, or the same for --provider).`,
    )
    .addOption(
      new Option('--provider <name>', 'SDK and provider to bench')
        .choices(PROVIDERS)
        .default(D.provider, D.provider),
    )
    .option('--emulator', 'use the embedded emulator even when real keys are set', false)
    .option('--keys <n>', 'emulator keys', wholeNumber(1, 100), D.keys)
    .option('--rpm <n>', 'requests per minute of each key', wholeNumber(1), D.rpm)
    .option('--tpm <n>', 'tokens per minute of each key', wholeNumber(1), D.tpm)
    .addOption(
      new Option('--latency <min-max>', 'emulator latency range, ms')
        .argParser(parseRange)
        .default(parseRange(D.latency), String(D.latency)),
    )
    .option(
      '--burst-seconds <s>',
      'seconds of each limit the emulator lets through at once',
      positiveNumber,
      D.burstSeconds,
    )
    .option(
      '--strict',
      'emulator limits as providers enforce them: GCRA buckets of --strict-burst requests per key',
    )
    .option('--strict-burst <n>', 'requests a key takes at once with --strict', wholeNumber(1), D.strictBurst)
    .option(
      '--fault-at-start',
      "emulator fault: the first key's first request is answered 429 with Retry-After 1 s",
    )
    .option(
      '--outage-ms <ms>',
      'emulator fault: the endpoint refuses connections for this long',
      wholeNumber(1),
    )
    .option(
      '--outage-at-ms <ms>',
      'when the outage starts, after each run begins',
      wholeNumber(0),
      D.outageAtMs,
    )
    .option(
      '--overload <n>',
      'emulator fault: above n requests in flight per key, slower answers and 5xx',
      wholeNumber(0),
    )
    .option(
      '--overload-error-rate <r>',
      'fraction of overloaded requests that fail',
      parseRate,
      D.overloadErrorRate,
    )
    .option(
      '--overload-latency-factor <f>',
      'latency multiplier above the overload threshold',
      positiveNumber,
      D.overloadLatencyFactor,
    )
    .option('--jobs <n>', 'chat completions in the workload', wholeNumber(1), D.jobs)
    .addOption(
      new Option(
        '--arrival <mode>',
        'batch: every job submitted at once (Promise.all over the items; with --processes, each process its share); stream: --concurrency outstanding',
      )
        .choices(['stream', 'batch'])
        .default('stream', 'stream'),
    )
    .option(
      '--concurrency <n>',
      "jobs outstanding at once in every run (default: enough for every key's slots)",
      wholeNumber(1),
    )
    .addOption(
      new Option(
        '--max-concurrent <list>',
        "keymux's slots per key: 'auto' (adaptive) or a number; a comma list runs keymux once per value, e.g. auto,5",
      )
        .argParser(parseSlots)
        .default(parseSlots(D.maxConcurrent), String(D.maxConcurrent)),
    )
    .addOption(
      new Option(
        '--strategies <list>',
        `keymux strategies, comma-separated (${STRATEGIES.filter((s) => s !== 'specific').join(', ')})`,
      )
        .argParser(parseStrategies)
        .default(parseStrategies(D.strategies), String(D.strategies)),
    )
    .addOption(
      new Option(
        '--limits <mode>',
        "give keymux the keys' limits, or let it learn them from headers (default: configured on the emulator, learned on a real provider)",
      ).choices(['configured', 'learned', 'both']),
    )
    .option('--learn-limits', 'same as --limits learned')
    .option('--no-baselines', 'run keymux only, without the single-key and naive-rotation baselines')
    .option(
      '--single-key-seconds <s>',
      'time budget of the single-key run',
      positiveNumber,
      D.singleKeySeconds,
    )
    .option('--run-timeout <s>', 'no run takes new jobs after this long', positiveNumber, D.runTimeoutSeconds)
    .option('--seed <n>', 'workload and emulator seed', wholeNumber(0), D.seed)
    .option(
      '--max-requests <n>',
      'real provider only: hard cap on requests over the whole bench',
      wholeNumber(1),
      D.maxRequests,
    )
    .option(
      '--max-tokens <n>',
      'real provider only: cap on prompt + max output tokens over the whole bench',
      wholeNumber(1),
      D.maxTokens,
    )
    .option('--redis <url>', "keymux's runs share their keys' state through this Redis (redisStore)")
    .option(
      '--processes <n>',
      'run keymux in n OS processes on the same emulator keys: sharing state through --redis, then each alone',
      wholeNumber(1, 64),
    )
    .option(
      '--redis-outage-ms <ms>',
      "with --processes: run a redis-server of the bench's own and stop it for this long mid-run",
      wholeNumber(1),
    )
    .option(
      '--redis-outage-at <s>',
      'when the Redis outage starts, after the processes start',
      positiveNumber,
      D.redisOutageAtSeconds,
    )
    .option(
      '--fallback',
      `instead: a primary model whose keys run out of quota mid-run, with a fallback model on other keys (emulator; --jobs, --rpm, --latency, --seed apply, defaults ${FALLBACK_BENCH_DEFAULTS.jobs}, ${FALLBACK_BENCH_DEFAULTS.rpm}, ${FALLBACK_BENCH_DEFAULTS.latency})`,
    )
    .option(
      '--quota-at-ms <ms>',
      'with --fallback: when the primary runs out of quota',
      wholeNumber(0),
      FALLBACK_BENCH_DEFAULTS.quotaAtMs,
    )
    .option('--json <path>', 'write the whole result as JSON')
    .option('--report <path>', 'write a self-contained HTML report with charts')
    .option('--no-progress', 'no live progress bars (they only show on a terminal anyway)')
    .option(
      '--offload',
      'batch offload instead (docs/batch-offload.md): the jobs (20 000 unless --jobs) with a 24 h deadline, ' +
        'all synchronous and then through the Batch API, on the emulator: cost, synchronous limits used, lost, mismatched',
      false,
    )
    .action(async (raw: RawBenchFlags, self: Command) => {
      await runAction('bench', async () => {
        if (raw.fallback) return runFallback(raw, self);
        if (raw.offload) {
          const jobs =
            self.getOptionValueSource('jobs') === 'default' ? OFFLOAD_BENCH_DEFAULTS.jobs : raw.jobs;
          const keys =
            self.getOptionValueSource('keys') === 'default' ? OFFLOAD_BENCH_DEFAULTS.keys : raw.keys;
          const o = { ...OFFLOAD_BENCH_DEFAULTS, jobs, keys, seed: raw.seed };
          const results = await runOffloadBench(o);
          process.stdout.write(`\n${renderOffloadBench(results, o)}\n`);
          if (raw.json) await writeFile(raw.json, `${JSON.stringify(results, null, 2)}\n`);
          return results.some((r) => r.lost > 0 || r.mismatched > 0 || r.duplicatedLines > 0) ? 1 : 0;
        }
        const options = toBenchOptions(raw);
        const controller = new AbortController();
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        try {
          const argv = process.argv.slice(2).join(' ');
          const result =
            options.processes === undefined
              ? await runBench(options, process.env, `keymux ${argv}`.trim(), controller.signal)
              : await runProcessBench(options, `keymux ${argv}`.trim(), controller.signal);
          process.stdout.write(
            `\n${describeCapacity(result)}\n\n${renderBenchTables(result)}\n\n${result.notes.map((n) => `- ${n}`).join('\n')}\n`,
          );
          if (options.json) await writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
          if (options.report) await writeFile(options.report, renderHtmlReport(result));
          return controller.signal.aborted ? 130 : 0;
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
  return exitTwoOnMisuse(command);
}

/** `keymux bench --fallback`: the flags it shares with the throughput bench take its own defaults. */
async function runFallback(raw: RawBenchFlags, command: Command): Promise<number> {
  const given = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
  const latency = given('latency') ? raw.latency : parseRange(FALLBACK_BENCH_DEFAULTS.latency);
  const result = await runFallbackBench({
    jobs: given('jobs') ? raw.jobs : FALLBACK_BENCH_DEFAULTS.jobs,
    rpm: given('rpm') ? raw.rpm : FALLBACK_BENCH_DEFAULTS.rpm,
    quotaAtMs: raw.quotaAtMs,
    latencyMinMs: latency[0],
    latencyMaxMs: latency[1],
    seed: raw.seed,
  });
  process.stdout.write(`${renderFallbackBench(result)}\n`);
  if (raw.json) await writeFile(raw.json, `${JSON.stringify(result, null, 2)}\n`);
  return result.failed === 0 ? 0 : 1;
}

interface RawBenchFlags {
  fallback?: boolean;
  quotaAtMs: number;
  offload: boolean;
  provider: BuiltinProvider;
  emulator: boolean;
  keys: number;
  rpm: number;
  tpm: number;
  latency: [number, number];
  burstSeconds: number;
  strict?: boolean;
  strictBurst: number;
  outageMs?: number;
  outageAtMs: number;
  overload?: number;
  overloadErrorRate: number;
  overloadLatencyFactor: number;
  faultAtStart?: boolean;
  jobs: number;
  concurrency?: number;
  maxConcurrent: Array<number | 'auto'>;
  strategies: Strategy[];
  limits?: LimitsMode;
  learnLimits?: boolean;
  baselines: boolean;
  singleKeySeconds: number;
  runTimeout: number;
  seed: number;
  maxRequests: number;
  maxTokens: number;
  json?: string;
  report?: string;
  redis?: string;
  processes?: number;
  arrival: Arrival;
  redisOutageMs?: number;
  redisOutageAt: number;
  progress: boolean;
}

function toBenchOptions(raw: RawBenchFlags): BenchOptions {
  return {
    provider: raw.provider,
    emulator: raw.emulator,
    keys: raw.keys,
    rpm: raw.rpm,
    tpm: raw.tpm,
    latencyMinMs: raw.latency[0],
    latencyMaxMs: raw.latency[1],
    burstSeconds: raw.burstSeconds,
    strict: raw.strict === true,
    strictBurst: raw.strictBurst,
    outageMs: raw.outageMs,
    outageAtMs: raw.outageAtMs,
    overloadAbove: raw.overload,
    overloadErrorRate: raw.overloadErrorRate,
    overloadLatencyFactor: raw.overloadLatencyFactor,
    faultAtStart: raw.faultAtStart === true,
    jobs: raw.jobs,
    arrival: raw.arrival,
    concurrency: raw.concurrency,
    maxConcurrent: raw.maxConcurrent,
    strategies: raw.strategies,
    limits: raw.learnLimits ? 'learned' : raw.limits,
    baselines: raw.baselines,
    singleKeySeconds: raw.singleKeySeconds,
    runTimeoutSeconds: raw.runTimeout,
    seed: raw.seed,
    maxRequests: raw.maxRequests,
    maxTokens: raw.maxTokens,
    json: raw.json,
    report: raw.report,
    redis: raw.redis,
    processes: raw.processes,
    redisOutageMs: raw.redisOutageMs,
    redisOutageAtSeconds: raw.redisOutageAt,
    progress: raw.progress && process.stdout.isTTY === true,
  };
}

function parseRange(value: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  const min = Number(match?.[1]);
  const max = Number(match?.[2] ?? match?.[1]);
  if (!match || min > max)
    throw new InvalidArgumentError(`Expected "min-max" in ms, like 100-300, got ${value.length} characters.`);
  return [min, max];
}

function parseRate(value: string): number {
  const rate = Number(value);
  if (!(rate >= 0 && rate <= 1))
    throw new InvalidArgumentError(`Expected a fraction from 0 to 1, got ${JSON.stringify(value)}.`);
  return rate;
}

function parseSlots(value: string): Array<number | 'auto'> {
  const whole = wholeNumber(1, 1000);
  const list = value.split(',').map((s) => (s.trim() === 'auto' ? ('auto' as const) : whole(s)));
  return [...new Set(list)];
}

function parseStrategies(value: string): Strategy[] {
  const parse = oneOf(STRATEGIES.filter((s) => s !== 'specific'));
  // The one spelling rule (case, `_` or `-`), then the strategies a benchmark can compare.
  const list = value.split(',').map((s) => parse(strategyArgument(s)));
  return [...new Set(list)];
}

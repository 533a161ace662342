import { setMaxListeners } from 'node:events';
import type { Strategy } from '../../config/options.js';
import type { Multiplexer } from '../../multiplexer.js';
import { createProgress } from '../shared/progress.js';
import { watchProviderWait } from '../shared/provider-wait.js';
import { describeRunCost } from '../shared/run-cost.js';
import { fileJournal } from './file-journal.js';
import { renderKeyStats } from './key-stats-table.js';
import { loadMultiplexer } from './load-multiplexer.js';
import { OutputFile, readDone } from './output-file.js';
import { malformedLine } from './output-line.js';
import { describePlan, planBatch } from './plan-batch.js';
import { readBatchInput } from './read-input.js';
import { NOT_SENT, offloadLine, sendLine } from './send-line.js';

export interface BatchOptions {
  readonly input: string;
  readonly output: string;
  /** Lines in flight at once; undefined: keys × the multiplexer's per-key concurrency. */
  readonly concurrency: number | undefined;
  readonly strategy: Strategy | undefined;
  /** Lines sent by this run at most; the rest wait for the next run. */
  readonly maxRequests: number | undefined;
  readonly dryRun: boolean;
  readonly config: string | undefined;
  readonly progress: boolean;
  /** Run alone when Redis (`KEYMUX_REDIS_URL`) cannot be reached at start, instead of exiting 2. */
  readonly redisOptional?: boolean;
  /** `--offload`: lines go to the Batch API with this deadline from the start of the run. */
  readonly offload?: {
    readonly deadlineMs: number;
    readonly maxWaitMs: number;
    readonly firstPollMs: number;
  };
}

/** Exit code of a run that wrote error lines (failed requests or malformed input): see `keymux batch --help`. */
export const SOME_LINES_FAILED = 3;

export const BAR_FORMAT =
  'batch |{bar}| {value}/{total} | {rate} lines/s | ETA {eta_formatted} | {slots} slots | 429s {limited} {wait}';

/** What the bar shows beyond cli-progress's own fields: every `{name}` of BAR_FORMAT. */
export function barPayload(state: {
  readonly written: number;
  readonly elapsedMs: number;
  readonly limited: number;
  readonly wait: string;
  readonly slots: number;
}): { rate: string; limited: number; wait: string; slots: number } {
  const rate = state.elapsedMs > 0 ? (state.written * 1000) / state.elapsedMs : 0;
  return { rate: rate.toFixed(1), limited: state.limited, wait: state.wait, slots: state.slots };
}

/**
 * Runs a Batch API file through keymux. `stop` (Ctrl-C) stops new lines and abandons the queued ones
 * unsent; lines already sent finish and are written, so a resumed run sends each custom_id once.
 */
export async function runBatch(
  options: BatchOptions,
  env: NodeJS.ProcessEnv,
  stop: AbortSignal,
): Promise<number> {
  const log = (text: string): void => void process.stderr.write(`${text}\n`);
  const input = await readBatchInput(options.input);
  const plan = planBatch(input, readDone(options.output));
  for (const m of plan.malformed.slice(0, 20)) log(`line ${m.lineNumber}: ${m.message}`);
  if (plan.malformed.length > 20) log(`… and ${plan.malformed.length - 20} more malformed lines`);
  log(describePlan(plan));
  if (options.dryRun) return 0;
  if (plan.toSend.length === 0 && plan.malformed.length === 0) {
    log(`nothing to send: all ${plan.alreadyDone} lines are already in ${options.output}`);
    return 0;
  }

  const offload = options.offload && {
    minDeadline: Math.min(options.offload.deadlineMs, 3_600_000),
    maxWait: options.offload.maxWaitMs,
    firstPoll: options.offload.firstPollMs,
    resendBefore: Math.min(900_000, options.offload.deadlineMs / 4),
    ...(env.KEYMUX_REDIS_URL ? {} : { journal: fileJournal(`${options.output}.batches.json`) }),
  };
  const loaded = await loadMultiplexer(options.config, env, options.redisOptional, offload);
  const { mux } = loaded;
  const out = new OutputFile(options.output);
  for (const m of plan.malformed) out.write(malformedLine(m));
  // Offloaded lines wait in batches for hours: every line is handed over at once.
  const concurrency = options.offload
    ? Number.POSITIVE_INFINITY
    : (options.concurrency ?? outstandingFor(mux));
  const deadlineAt = mux.options.clock.now() + (options.offload?.deadlineMs ?? 0);
  const limit = Math.min(plan.toSend.length, options.maxRequests ?? Number.POSITIVE_INFINITY);
  const progress = createProgress(BAR_FORMAT, options.progress);
  // The keys' concurrency limits together, kept from their change events (they adapt under 'auto').
  const limits = new Map(
    (mux.getUsageStats().providers.openai?.keys ?? []).map((k) => [k.name, k.concurrency]),
  );
  const slots = (): number => [...limits.values()].reduce((sum, n) => sum + n, 0);
  const offSlots = mux.on('concurrency-changed', (e) => {
    limits.set(e.key.name, e.concurrency);
  });
  const started = performance.now();
  let limited = 0;
  let wait = '';
  let written = 0;
  const payload = () =>
    barPayload({ written, elapsedMs: performance.now() - started, limited, wait, slots: slots() });
  const bar = progress.bar(limit, payload());
  // While the provider is down, say so (on the bar, or on stderr when there is none) instead of going silent.
  const stopWatching = watchProviderWait(mux, 'openai', (text) => {
    wait = text;
    bar.update(written, payload());
    if (!options.progress && text !== '') log(text);
  });
  const offLimited = mux.on('failure', (e) => {
    if (e.status === 429) limited++;
  });
  // Queued lines are abandoned on stop, but a line already sent must finish: each has its own signal.
  const queued = new Set<AbortController>();
  const abandonQueued = (): void => {
    for (const c of queued) c.abort(stop.reason);
  };
  stop.addEventListener('abort', abandonQueued, { once: true });
  let next = 0;
  let failed = 0;
  const lane = async (): Promise<void> => {
    while (!stop.aborted && next < limit) {
      const { request, tokens } = plan.toSend[next++]!;
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      queued.add(controller);
      const send = {
        strategy: options.strategy,
        tokens,
        signal: controller.signal,
        onSent: () => queued.delete(controller),
      };
      const line = options.offload
        ? await offloadLine(mux, request, send, deadlineAt)
        : await sendLine(mux, request, send);
      queued.delete(controller);
      if (line === NOT_SENT) continue;
      out.write(line);
      written++;
      if (line.error !== null || (line.response?.status_code ?? 200) >= 400) failed++;
      bar.update(written, payload());
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, limit)) }, lane));
  } finally {
    stop.removeEventListener('abort', abandonQueued);
    stopWatching();
    offLimited();
    offSlots();
    progress.stop();
    out.close();
    await loaded.close();
  }
  const left = plan.toSend.length - written;
  // The table counts this run's requests; a resumed run says so, so its figures are not read as the file's.
  const title = plan.alreadyDone > 0 ? `this run (${plan.alreadyDone} lines were done before it):\n` : '';
  const stats = mux.getUsageStats();
  process.stdout.write(`\n${title}${renderKeyStats(stats, 'openai')}\n${describeRunCost(stats)}\n\n`);
  log(
    `wrote ${written + plan.malformed.length} lines to ${options.output}: ${written - failed} answered, ` +
      `${failed} failed for good, ${plan.malformed.length} malformed; ${plan.alreadyDone} were already done` +
      (left > 0 ? `; ${left} left, run the same command again to resume` : ''),
  );
  if (stop.aborted) return 130;
  return failed > 0 || plan.malformed.length > 0 ? SOME_LINES_FAILED : 0;
}

/**
 * Lines kept in flight: each key's slots, or under `'auto'` enough for its slots to grow into (up to its
 * queue size), so the adaptive limit is not starved by the batch itself.
 */
function outstandingFor(mux: Multiplexer): number {
  const keys = mux.keyNames('openai').length;
  const { maxConcurrentRequests, queueSize } = mux.options;
  return keys * (maxConcurrentRequests === 'auto' ? Math.max(5, queueSize) : maxConcurrentRequests);
}

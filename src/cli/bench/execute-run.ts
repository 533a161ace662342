import type { Ledger } from '../../emulator/index.js';
import type { ProgressBar } from '../shared/progress.js';
import { type RunInput, runNaiveRotation, runSingleKey } from './baseline-runs.js';
import type { StopReason } from './bench-result.js';
import type { BenchTarget } from './bench-target.js';
import { runKeymux } from './keymux-run.js';
import type { PlannedRun } from './plan-runs.js';
import type { RequestCap } from './request-cap.js';
import { RunRecorder } from './run-recorder.js';
import type { KeyShareCounts } from './summarize-run.js';

export interface ExecuteRunInput extends Omit<RunInput, 'recorder' | 'target' | 'cap'> {
  readonly plan: PlannedRun;
  readonly target: BenchTarget;
  readonly cap: RequestCap;
  readonly limits: { readonly rpm: number; readonly tpm: number } | undefined;
  readonly redis?: string | undefined;
  readonly bar: ProgressBar;
}

export interface ExecutedRun {
  readonly plan: PlannedRun;
  readonly recorder: RunRecorder;
  readonly stoppedBy: StopReason;
  readonly upstream: { limited: number; requests: number; perKey: KeyShareCounts } | undefined;
  /** Mean tokens the provider charged per answered request (emulator only). */
  readonly chargedTokensPerRequest: number | undefined;
}

/** Runs one planned run on its target, with live progress, and collects the provider's own record of it. */
export async function executeRun(input: ExecuteRunInput): Promise<ExecutedRun> {
  const recorder = new RunRecorder();
  const { plan, bar } = input;
  const tick = setInterval(() => {
    bar.update(recorder.done, {
      inFlight: recorder.inFlight,
      slots: slotsText(recorder),
      limited: recorder.limited,
      rate: recorder.rate().toFixed(1),
      wait: recorder.status,
    });
  }, 200);
  let stoppedBy: StopReason;
  try {
    const runInput: RunInput = { ...input, recorder };
    if (plan.kind === 'single-key') stoppedBy = await runSingleKey(runInput);
    else if (plan.kind === 'naive-rotation') stoppedBy = await runNaiveRotation(runInput);
    else {
      stoppedBy = await runKeymux({
        ...runInput,
        strategy: plan.strategy ?? 'least-loaded',
        limits: plan.limits === 'configured' ? input.limits : undefined,
        maxConcurrentPerKey: plan.maxConcurrent ?? 'auto',
        redis: input.redis,
      });
    }
  } finally {
    clearInterval(tick);
  }
  bar.setTotal(Math.max(recorder.done, 1));
  bar.update(recorder.done, {
    inFlight: 0,
    slots: slotsText(recorder),
    limited: recorder.limited,
    rate: recorder.rate().toFixed(1),
    wait: '',
  });
  const ledger = input.target.ledger;
  return {
    plan,
    recorder: ledger ? withLedgerAttempts(recorder, ledger) : recorder,
    stoppedBy,
    upstream: ledger ? upstreamCounts(ledger) : undefined,
    chargedTokensPerRequest: ledger ? meanCharged(ledger) : undefined,
  };
}

/** The emulator saw every request, retries and all SDKs included: its record replaces the client's. */
function withLedgerAttempts(recorder: RunRecorder, ledger: Ledger): RunRecorder {
  recorder.attempts.length = 0;
  for (const e of ledger.entries())
    recorder.attempts.push({ at: e.startedAt, key: e.key ?? '<unknown>', status: e.status });
  return recorder;
}

function upstreamCounts(ledger: Ledger): ExecutedRun['upstream'] {
  const perKey: Record<string, { requests: number; limited: number }> = {};
  let limited = 0;
  for (const e of ledger.entries()) {
    const name = e.key ?? '<unknown>';
    const k = perKey[name] ?? { requests: 0, limited: 0 };
    perKey[name] = k;
    k.requests++;
    if (e.status === 429) {
      k.limited++;
      limited++;
    }
  }
  return { limited, requests: ledger.size, perKey };
}

function meanCharged(ledger: Ledger): number | undefined {
  const ok = ledger.entries({ outcome: 'ok' });
  return ok.length === 0 ? undefined : ok.reduce((sum, e) => sum + e.chargedTokens, 0) / ok.length;
}

/** The keys' slots together, for the progress line of a keymux run. */
function slotsText(recorder: RunRecorder): string {
  const total = recorder.totalSlots();
  return total === undefined ? '' : ` of ${total} slots`;
}

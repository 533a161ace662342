// Each key's counters, a fold over the event union (STYLE: stats are a fold over one event union): run on
// every event by the multiplexer's subscription, read by `getUsageStats()` (src/stats/usage-stats.ts).
// Below them, each key's usage per model (the UsageTally), added by the key's lane after each answer and
// priced only when stats are read (src/spend).
import type { KeymuxEvent, TokenUsage } from './events.js';
import type { FailureClass } from './failure.js';
import type { KeyCheckResult } from './key-check.js';

const LATENCY_SAMPLES = 512;

/** Counters of one key, folded from the event stream. */
export interface KeyCounters {
  requests: number;
  successes: number;
  failures: Record<FailureClass, number>;
  retries: number;
  rateLimited: number;
  inputTokens: number;
  outputTokens: number;
  /** The last latencies, a ring of LATENCY_SAMPLES. */
  readonly latencies: number[];
  latencyCursor: number;
  /** The key's last health check (`checkKeys` or `healthCheckInterval`), and when it ended. */
  lastCheck: { readonly at: number; readonly result: KeyCheckResult } | undefined;
}

/** The fold's state: counters per provider and key name. */
export type CounterState = Map<string, Map<string, KeyCounters>>;

export function emptyCounters(): KeyCounters {
  return {
    requests: 0,
    successes: 0,
    failures: {
      'rate-limited': 0,
      'quota-exhausted': 0,
      auth: 0,
      transient: 0,
      'bad-request': 0,
      aborted: 0,
    },
    retries: 0,
    rateLimited: 0,
    inputTokens: 0,
    outputTokens: 0,
    latencies: [],
    latencyCursor: 0,
    lastCheck: undefined,
  };
}

/** One step of the fold. Events without a key (job-settled) leave the counters alone. */
export function foldEvent(state: CounterState, event: KeymuxEvent): void {
  if (!('key' in event)) return;
  let byName = state.get(event.key.provider);
  if (!byName) {
    byName = new Map();
    state.set(event.key.provider, byName);
  }
  if (event.type === 'key-removed') {
    byName.delete(event.key.name);
    return;
  }
  let c = byName.get(event.key.name);
  if (!c) {
    c = emptyCounters();
    byName.set(event.key.name, c);
  }
  switch (event.type) {
    case 'request':
      c.requests++;
      if (event.attempt > 1) c.retries++;
      break;
    case 'success':
      c.successes++;
      c.inputTokens += event.usage?.inputTokens ?? 0;
      c.outputTokens += event.usage?.outputTokens ?? 0;
      recordLatency(c, event.latencyMs);
      break;
    case 'failure':
      c.failures[event.failureClass]++;
      if (event.failureClass !== 'aborted') recordLatency(c, event.latencyMs);
      break;
    case 'rate-limited':
      c.rateLimited++;
      break;
    case 'key-checked':
      c.lastCheck = { at: event.at, result: event.result };
      break;
    default:
      break;
  }
}

function recordLatency(c: KeyCounters, ms: number): void {
  if (c.latencies.length < LATENCY_SAMPLES) c.latencies.push(ms);
  else c.latencies[c.latencyCursor] = ms;
  c.latencyCursor = (c.latencyCursor + 1) % LATENCY_SAMPLES;
}

/** Nearest-rank percentile of the samples; 0 when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * How a cost line sorts each call's usage, worked out once per model (spend/prices.ts): the prompt length
 * above which its long-context prices apply (Infinity: none), and for each tier (standard, long) which
 * buckets have a price, one bit each in `TIER_BITS` order; -1: the model has no price at all.
 */
export interface TallyRule {
  readonly above: number;
  readonly priced: readonly [number, number];
}

/** Bits of `TallyRule.priced`: uncached input, cache read, cache write, 1-hour cache write, output. */
export const TIER_BITS = { input: 1, cacheRead: 2, cacheWrite: 4, cacheWrite1h: 8, output: 16 } as const;

/**
 * The usage of one key with one model, summed, to be priced when it is read (spend.ts): per tier
 * (standard, long context, batch, batch long context), the tokens of uncached input, cache read, cache
 * write, 1-hour cache write and output (reasoning included) of the calls whose every bucket has a price.
 */
export interface TallyRow {
  readonly provider: string;
  readonly key: string;
  readonly model: string | undefined;
  readonly tiers: readonly [number[], number[], number[], number[]];
  tokens: number;
  calls: number;
  unknownCalls: number;
}

/**
 * The calls of one model on one provider (sent synchronously, or through a Batch API): each answer's
 * usage is added to its key's row, in whole tokens, and priced only when stats are read. Sums of whole
 * tokens stay exact, and a call costs a few additions instead of a price lookup and a cost each.
 */
export class CostLine {
  constructor(
    readonly provider: string,
    readonly model: string | undefined,
    readonly rule: TallyRule,
    /** 0 synchronous, 2 batch: the row's tiers this line adds to. */
    readonly tierBase: 0 | 2,
    readonly rows: Map<string, TallyRow>,
    private readonly all: TallyRow[],
  ) {}

  add(key: { readonly name: string }, usage: TokenUsage): void {
    let row = this.rows.get(key.name);
    if (!row) {
      row = {
        provider: this.provider,
        key: key.name,
        model: this.model,
        tiers: [
          [0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0],
        ],
        tokens: 0,
        calls: 0,
        unknownCalls: 0,
      };
      this.rows.set(key.name, row);
      this.all.push(row);
    }
    const b = usage.buckets;
    const input = b ? b.uncachedInput : usage.inputTokens;
    const read = b ? b.cacheRead : 0;
    const write = b ? b.cacheWrite : 0;
    const write1h = b ? b.cacheWrite1h : 0;
    const output = b ? b.output + b.reasoning : usage.outputTokens;
    const prompt = input + read + write + write1h;
    row.calls++;
    row.tokens += prompt + output;
    const long = prompt > this.rule.above ? 1 : 0;
    const priced = this.rule.priced[long];
    const used =
      (input > 0 ? 1 : 0) |
      (read > 0 ? 2 : 0) |
      (write > 0 ? 4 : 0) |
      (write1h > 0 ? 8 : 0) |
      (output > 0 ? 16 : 0);
    if (priced < 0 || (used & ~priced) !== 0) {
      row.unknownCalls++;
      return;
    }
    const t = row.tiers[this.tierBase + long] as number[];
    t[0] = (t[0] as number) + input;
    t[1] = (t[1] as number) + read;
    t[2] = (t[2] as number) + write;
    t[3] = (t[3] as number) + write1h;
    t[4] = (t[4] as number) + output;
  }
}

/** Every cost line of a multiplexer, one per provider, model and way of sending; rows in the order first used. */
export class UsageTally {
  readonly rows: TallyRow[] = [];
  readonly #lines = new Map<string, Map<string | undefined, readonly [CostLine, CostLine]>>();

  constructor(private readonly ruleOf: (model: string | undefined, batch: boolean) => TallyRule) {}

  line(provider: string, model: string | undefined, batch: boolean): CostLine {
    let byModel = this.#lines.get(provider);
    if (!byModel) {
      byModel = new Map();
      this.#lines.set(provider, byModel);
    }
    let pair = byModel.get(model);
    if (!pair) {
      // Both ways of sending share the key's row: one row per key and model, as stats show it.
      const rows = new Map<string, TallyRow>();
      pair = [
        new CostLine(provider, model, this.ruleOf(model, false), 0, rows, this.rows),
        new CostLine(provider, model, this.ruleOf(model, true), 2, rows, this.rows),
      ];
      byModel.set(model, pair);
    }
    return pair[batch ? 1 : 0];
  }
}

import type { Clock } from '../core/clock.js';
import { BudgetExceededError, type BudgetRefusal } from '../core/errors.js';
import type { KeymuxEvent, TokenUsage } from '../core/events.js';
import type { JobBudget, JobContext } from '../core/job-context.js';
import { type TallyRow, UsageTally } from '../core/key-counters.js';
import { totalTokens, type UsageBuckets } from '../core/usage-buckets.js';
import { type BudgetOptions, validateBudgets } from './budget-config.js';
import {
  BudgetLedger,
  type BudgetSnapshot,
  type Charge,
  isRefusal,
  type Refusal,
  type Ticket,
} from './budget-ledger.js';
import {
  batchPrice,
  bucketsOf,
  costOf,
  type ModelPrice,
  PriceBook,
  pricedTiers,
  tallyRule,
  validatePrices,
} from './prices.js';

/** What a wrapped client knows of a call before it is sent: its model and its worst case in tokens. */
export interface SpendRequest {
  readonly model: string | undefined;
  /** Prompt tokens, estimated (never fewer than the real count's estimate). */
  readonly promptTokens: number;
  /** The request's output maximum (`max_tokens`, `maxOutputTokens`, …), if it names one. */
  readonly maxOutputTokens: number | undefined;
  /** Sent through the provider's Batch API: reserved and costed at its batch prices (`batchPrice`). */
  readonly batch?: boolean;
}

/** Cost so far of one key with one model. `unknownCalls`: calls whose model has no price. */
export interface CostRow {
  readonly provider: string;
  readonly key: string;
  readonly model: string;
  usd: number;
  tokens: number;
  calls: number;
  unknownCalls: number;
}

/**
 * A shared settle that fails (Redis away) leaves the reservation counted as spent: budgets err on the
 * side of refusing, never of overspending.
 */
function quietly(step: void | Promise<void>): void | Promise<void> {
  if (step) return step.catch(() => undefined);
}

/** What budgets hold for one offloaded call until its answer comes. */
export interface OffloadTicket {
  settle(key: JobContext['key'], usage: TokenUsage | undefined): void;
  release(): void;
}

/** No key is named `*`: only budgets without a `keys` list cover an offloaded call. */
const OFFLOAD_KEY = '*';

/** The most a prompt can cost: every token at the dearest input price the model has (a 1-hour cache write). */
function worstCase(request: SpendRequest, price: ModelPrice | undefined, maxOut: number): number | null {
  const prompt = request.promptTokens;
  const none: UsageBuckets = {
    uncachedInput: 0,
    cacheRead: 0,
    cacheWrite: 0,
    cacheWrite1h: 0,
    output: maxOut,
    reasoning: 0,
  };
  let worst = costOf({ ...none, uncachedInput: prompt }, price);
  if (worst === null || !price) return null;
  if (price.cacheWrite !== undefined)
    worst = Math.max(worst, costOf({ ...none, cacheWrite: prompt }, price) ?? 0);
  if (price.cacheWrite1h !== undefined)
    worst = Math.max(worst, costOf({ ...none, cacheWrite1h: prompt }, price) ?? 0);
  return worst;
}

const REASONS: Readonly<Record<BudgetRefusal, string>> = {
  exceeded: "the call's worst case would cross it",
  'unknown-price': "the call's model has no price (name it in the `prices` option)",
  'unbounded-output': 'the call names no output maximum (max_tokens) and its model has no known cap',
  'store-unavailable': 'the shared store (Redis) that keeps it cannot be reached',
};

/**
 * Prices, budgets and the cost of every call of one multiplexer: wraps a job's function so that each
 * attempt reserves its worst case before it is sent and settles to its real cost after the answer.
 */
export class Spend {
  readonly prices: PriceBook;
  readonly ledger: BudgetLedger;
  /**
   * Every call's usage per key and model, priced when stats are read: a call no budget covers runs no
   * code of this folder (the dispatcher adds its usage to its cost line, a core object).
   */
  readonly tally: UsageTally;
  /** Some budget is set (fixed at construction): calls some budget may cover are wrapped. */
  readonly budgeted: boolean;
  /** Some budget is in USD: a settle works out the call's cost. */
  readonly #usd: boolean;

  constructor(
    options: { readonly prices?: unknown; readonly budgets?: unknown },
    private readonly clock: Clock,
    private readonly emit: (event: KeymuxEvent) => void,
  ) {
    this.prices = new PriceBook(validatePrices(options.prices));
    const budgets: readonly BudgetOptions[] = validateBudgets(options.budgets);
    this.ledger = new BudgetLedger(budgets, (b) =>
      this.emit({
        type: 'budget-warning',
        at: this.clock.now(),
        budget: b.name,
        used: b.spent + b.reserved,
        limit: b.limit,
        unit: b.unit,
      }),
    );
    this.budgeted = budgets.length > 0;
    this.#usd = budgets.some((b) => b.usd !== undefined);
    this.tally = new UsageTally((model, batch) => tallyRule(this.prices.lookup(model), batch));
  }

  /** Whether a call with `tag` needs wrapping (asked only when `budgeted`): some budget may cover it. */
  wanted(_request: SpendRequest | undefined, tag: string | undefined): boolean {
    return this.ledger.mayCover(tag);
  }

  /** The time, when the budgets need it: budgets without a period, in this process alone, never do. */
  #now(): number {
    return this.ledger.timed ? this.clock.now() : 0;
  }

  /** Gives this process's slices of shared budgets back; call once every call has settled. */
  close(): Promise<void> {
    return this.ledger.close();
  }

  /** What reserves before and settles after each attempt of one call (its key's lane calls it). */
  budgetOf(
    provider: string,
    tag: string | undefined,
    request: SpendRequest | undefined,
    tokens: number | undefined,
  ): GuardedCall {
    const model = request?.model;
    const listed = this.prices.lookup(model);
    const price = request?.batch ? batchPrice(listed) : listed;
    const maxOut = request ? (request.maxOutputTokens ?? price?.maxOutputTokens) : 0;
    // A worst case in USD only for USD budgets (a token budget never reads it).
    const usd = this.#usd && request && maxOut !== undefined ? worstCase(request, price, maxOut) : null;
    const worst = request ? request.promptTokens + (maxOut ?? 0) : (tokens ?? 0);
    const unbounded =
      (request !== undefined && maxOut === undefined) || (request === undefined && tokens === undefined);
    return new GuardedCall(this, provider, tag, model, price, usd, worst, unbounded);
  }

  /** The reservation of one attempt, or its refusal (thrown as BudgetExceededError). */
  reserve(call: GuardedCall, keyName: string): Ticket | undefined | Promise<Ticket | undefined> {
    if (!this.budgeted) return undefined;
    const covering = this.ledger.covering(keyName, call.tag);
    if (covering.length === 0) return undefined;
    if (call.unbounded && (call.usd === null || covering.some((b) => b.unit === 'tokens'))) {
      throw this.#refuse(covering[0]?.options.name ?? '', 'unbounded-output', call.provider, call.model);
    }
    // The call is its own worst case (a Charge): nothing more is made per attempt.
    const result = this.ledger.reserve(covering, call, this.#now());
    const check = (r: Ticket | Refusal): Ticket => {
      if (isRefusal(r)) throw this.#refuse(r.budget, r.reason, call.provider, call.model);
      return r;
    };
    return result instanceof Promise ? result.then(check) : check(result);
  }

  release(ticket: Ticket | undefined): void | Promise<void> {
    if (ticket) return quietly(this.ledger.release(ticket, this.#now()));
  }

  #refuse(
    budget: string,
    reason: BudgetRefusal,
    provider: string,
    model: string | undefined,
  ): BudgetExceededError {
    this.emit({ type: 'budget-exceeded', at: this.clock.now(), budget, provider, model, reason });
    return new BudgetExceededError(
      budget,
      reason,
      `budget "${budget}" refused the call: ${REASONS[reason]}`,
      { provider },
    );
  }

  /** The attempt ended with `usage` (its cost is counted apart, by its cost line): the budgets settle. */
  settle(
    price: ModelPrice | undefined,
    ticket: Ticket | undefined,
    usage: TokenUsage | undefined,
  ): void | Promise<void> {
    if (!ticket) return;
    // Worked out only as far as the budgets need it: a cost only for USD budgets.
    const charge: Charge | undefined = usage && {
      usd: this.#usd ? costOf(bucketsOf(usage), price) : null,
      tokens: usage.buckets ? totalTokens(usage.buckets) : usage.inputTokens + usage.outputTokens,
    };
    return quietly(this.ledger.settle(ticket, charge, this.#now()));
  }

  /**
   * A call sent to a Batch API (docs/batch-offload.md): its worst case is reserved now, at synchronous
   * prices (budgets err on the side of refusing), on the budgets of its tag that name no keys (the key that
   * submits its batch is chosen later); it settles at batch prices against that key. Throws
   * BudgetExceededError as a synchronous call would.
   */
  offloaded(
    provider: string,
    tag: string | undefined,
    request: SpendRequest,
  ): OffloadTicket | Promise<OffloadTicket> {
    const price = this.prices.lookup(request.model);
    const maxOut = request.maxOutputTokens ?? price?.maxOutputTokens;
    const usd = maxOut === undefined ? null : worstCase(request, price, maxOut);
    const worst = request.promptTokens + (maxOut ?? 0);
    const call = new GuardedCall(this, provider, tag, request.model, price, usd, worst, maxOut === undefined);
    const batch = price && batchPrice(price);
    const line = this.tally.line(provider, request.model, true);
    const ticketOf = (ticket: Ticket | undefined): OffloadTicket => ({
      settle: (key, usage) => {
        if (usage) line.add(key, usage);
        void this.settle(batch, ticket, usage);
      },
      release: () => void this.release(ticket),
    });
    const reserved = this.reserve(call, OFFLOAD_KEY);
    return reserved instanceof Promise ? reserved.then(ticketOf) : ticketOf(reserved);
  }

  /** Cost per key and model (priced now, from the tallied usage), and every budget's state. */
  snapshot(): { readonly costs: readonly CostRow[]; readonly budgets: readonly BudgetSnapshot[] } {
    return {
      costs: this.tally.rows.map((row) => this.#priced(row)),
      budgets: this.ledger.snapshot(this.clock.now()),
    };
  }

  #priced(row: TallyRow): CostRow {
    const price = this.prices.lookup(row.model);
    const tiers = pricedTiers(price);
    let usd = 0;
    for (let i = 0; i < 4; i++) usd += tiers[i]?.(row.tiers[i] as readonly number[]) ?? 0;
    return {
      provider: row.provider,
      key: row.key,
      model: row.model ?? 'unknown',
      usd,
      tokens: row.tokens,
      calls: row.calls,
      unknownCalls: row.unknownCalls,
    };
  }
}

/**
 * One call under the spend guard, and its worst case (a Charge: `usd` and `tokens`): its key's lane
 * reserves before each attempt, then settles to the answer's usage or releases (src/dispatch/key-lane.ts).
 */
class GuardedCall implements JobBudget, Charge {
  constructor(
    readonly spend: Spend,
    readonly provider: string,
    readonly tag: string | undefined,
    readonly model: string | undefined,
    readonly price: ModelPrice | undefined,
    /** The worst case in USD (null when unknown or not needed) and in tokens. */
    readonly usd: number | null,
    readonly tokens: number,
    readonly unbounded: boolean,
  ) {}

  reserve(keyName: string): Ticket | undefined | Promise<Ticket | undefined> {
    return this.spend.reserve(this, keyName);
  }

  settle(ticket: unknown, usage: TokenUsage | undefined): void | Promise<void> {
    return this.spend.settle(this.price, ticket as Ticket, usage);
  }

  release(ticket: unknown): void | Promise<void> {
    return this.spend.release(ticket as Ticket);
  }
}

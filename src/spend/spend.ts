import type { Clock } from '../core/clock.js';
import { BudgetExceededError, type BudgetRefusal } from '../core/errors.js';
import type { KeymuxEvent, KeyRef, TokenUsage } from '../core/events.js';
import type { BudgetedJob, JobContext } from '../core/job-context.js';
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
import type { BudgetState } from './budget-state.js';
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

/** What a job under budgets carries (see `Spend.spendOf`): an `execute()` call's tokens bound it, or nothing does. */
const BY_TOKENS: unique symbol = Symbol('keymux.spend.byTokens');
const UNBOUNDED: unique symbol = Symbol('keymux.spend.unbounded');
type CallSpend = SpendRequest | typeof BY_TOKENS | typeof UNBOUNDED;

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
 * Prices, budgets and the cost of every call of one multiplexer. It is the dispatcher's JobGuard: each
 * attempt of a job some budget may cover reserves its worst case before it is sent and settles to its
 * real cost after the answer (the key's lane asks, src/dispatch/key-lane.ts).
 */
export class Spend {
  readonly prices: PriceBook;
  readonly ledger: BudgetLedger;
  /**
   * Every call's usage per key and model, priced when stats are read: a call no budget covers runs no
   * code of this folder (the dispatcher adds its usage to its cost line, a core object).
   */
  readonly tally: UsageTally;
  /** Some budget is set (fixed at construction): calls some budget may cover carry their spend facts. */
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

  /** Whether some budget may cover a call with `tag` (asked only when `budgeted`). */
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

  /**
   * What a job some budget may cover carries for the budgets (`JobGuard.spendOf`): the wrapped client's
   * SpendRequest, or for an `execute()` call without one, whether it named its tokens. No object per job.
   */
  spendOf(request: SpendRequest | undefined, tokens: number | undefined): CallSpend {
    return request ?? (tokens === undefined ? UNBOUNDED : BY_TOKENS);
  }

  /** The price a call is reserved and settled at: its model's, at batch prices for a Batch API call. */
  #priceOf(spend: CallSpend): ModelPrice | undefined {
    if (typeof spend === 'symbol') return undefined;
    const listed = this.prices.lookup(spend.model);
    return spend.batch ? batchPrice(listed) : listed;
  }

  /**
   * The reservation of one attempt of `job` on `key` (its key's lane asks, src/dispatch/key-lane.ts), or
   * undefined when no budget covers that key; a refusal throws BudgetExceededError.
   */
  reserve(job: BudgetedJob, key: KeyRef): Ticket | undefined | Promise<Ticket | undefined> {
    const covering = this.ledger.covering(key.name, job.tag);
    if (covering.length === 0) return undefined;
    const spend = job.spend as CallSpend;
    if (typeof spend === 'symbol') {
      const tokens = spend === UNBOUNDED ? undefined : job.tokens;
      return this.#reserve(covering, key.provider, undefined, null, tokens);
    }
    const price = this.#priceOf(spend);
    const maxOut = spend.maxOutputTokens ?? price?.maxOutputTokens;
    // A worst case in USD only for USD budgets (a token budget never reads it).
    const usd = this.#usd && maxOut !== undefined ? worstCase(spend, price, maxOut) : null;
    const tokens = maxOut === undefined ? undefined : spend.promptTokens + maxOut;
    return this.#reserve(covering, key.provider, spend.model, usd, tokens);
  }

  /**
   * Reserves a worst case of `usd` (null: unknown) and `tokens` (undefined: unbounded) on `covering`. A
   * call with no bound is refused by a token budget, and by a USD budget unless its cost is known.
   */
  #reserve(
    covering: readonly BudgetState[],
    provider: string,
    model: string | undefined,
    usd: number | null,
    tokens: number | undefined,
  ): Ticket | undefined | Promise<Ticket | undefined> {
    if (tokens === undefined && (usd === null || covering.some((b) => b.unit === 'tokens'))) {
      throw this.#refuse(covering[0]?.options.name ?? '', 'unbounded-output', provider, model);
    }
    const result = this.ledger.reserve(covering, this.#charge(usd, tokens ?? 0), this.#now());
    return result instanceof Promise
      ? result.then((r) => this.#ticketOf(r, provider, model))
      : this.#ticketOf(result, provider, model);
  }

  /** The ticket, or the refusal thrown as BudgetExceededError. */
  #ticketOf(result: Ticket | Refusal, provider: string, model: string | undefined): Ticket {
    if (isRefusal(result)) throw this.#refuse(result.budget, result.reason, provider, model);
    return result;
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

  /** The attempt of `job` ended with `usage` (its cost is counted apart, by its cost line): the budgets settle. */
  settle(job: BudgetedJob, ticket: Ticket | undefined, usage: TokenUsage | undefined): void | Promise<void> {
    if (ticket)
      return this.#settle(this.#usd ? this.#priceOf(job.spend as CallSpend) : undefined, ticket, usage);
  }

  #settle(
    price: ModelPrice | undefined,
    ticket: Ticket,
    usage: TokenUsage | undefined,
  ): void | Promise<void> {
    // Worked out only as far as the budgets need it: a cost only for USD budgets.
    const charge =
      usage &&
      this.#charge(
        this.#usd ? costOf(bucketsOf(usage), price) : null,
        usage.buckets ? totalTokens(usage.buckets) : usage.inputTokens + usage.outputTokens,
      );
    return quietly(this.ledger.settle(ticket, charge, this.#now()));
  }

  /**
   * A charge for one ledger step, in one object reused by every step: the ledger reads it at once and
   * keeps only the amounts it works out (a reservation per attempt makes no garbage of its own).
   */
  #charge(usd: number | null, tokens: number): Charge {
    const charge = this.#scratch;
    charge.usd = usd;
    charge.tokens = tokens;
    return charge;
  }

  readonly #scratch: { usd: number | null; tokens: number } = { usd: null, tokens: 0 };

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
    const tokens = maxOut === undefined ? undefined : request.promptTokens + maxOut;
    const batch = price && batchPrice(price);
    const line = this.tally.line(provider, request.model, true);
    const ticketOf = (ticket: Ticket | undefined): OffloadTicket => ({
      settle: (key, usage) => {
        if (usage) line.add(key, usage);
        if (ticket) void this.#settle(batch, ticket, usage);
      },
      release: () => void this.release(ticket),
    });
    const covering = this.ledger.covering(OFFLOAD_KEY, tag);
    if (covering.length === 0) return ticketOf(undefined);
    const reserved = this.#reserve(covering, provider, request.model, usd, tokens);
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

import { ConfigError } from '../core/errors.js';
import type { TokenUsage } from '../core/events.js';
import { type TallyRule, TIER_BITS } from '../core/key-counters.js';
import type { UsageBuckets } from '../core/usage-buckets.js';
import table from './price-table.json' with { type: 'json' };

/** A model's prices in USD per million tokens; only `input` and `output` are required. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** Prompt tokens read from the provider's cache. */
  readonly cachedInput?: number;
  /** Prompt tokens written to a 5-minute cache (Anthropic). */
  readonly cacheWrite?: number;
  /** Prompt tokens written to a 1-hour cache (Anthropic). */
  readonly cacheWrite1h?: number;
  /** The Batch API's prices, where they differ (absent: the same as `input`, `output`, `cachedInput`). */
  readonly batchInput?: number;
  readonly batchOutput?: number;
  readonly batchCachedInput?: number;
  /** Prices for every token of a call whose prompt is longer than `above` tokens. */
  readonly longContext?: Omit<ModelPrice, 'longContext' | 'maxOutputTokens'> & { readonly above: number };
  /** The model's output cap: a call's worst case when it names no `max_tokens`. */
  readonly maxOutputTokens?: number;
}

/** `prices` option: model name → prices, over the built-in table. */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/** The built-in table's version (the date its prices were read). */
export const PRICE_TABLE_VERSION: string = table.version;

const BUILT_IN: PriceOverrides = table.models;

const NUMBER_FIELDS = [
  'input',
  'output',
  'cachedInput',
  'cacheWrite',
  'cacheWrite1h',
  'batchInput',
  'batchOutput',
  'batchCachedInput',
  'maxOutputTokens',
] as const;

function checkPrice(value: unknown, path: string, required: boolean): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      path,
      'Expected an object of prices in USD per million tokens, e.g. { input: 3, output: 15 }',
    );
  }
  const record = value as Record<string, unknown>;
  for (const field of NUMBER_FIELDS) {
    const v = record[field];
    if (v === undefined && !(required && (field === 'input' || field === 'output'))) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ConfigError(`${path}.${field}`, `Expected a finite number from 0 and up, got ${String(v)}`);
    }
  }
  if (record.longContext !== undefined) {
    checkPrice(record.longContext, `${path}.longContext`, true);
    const above = (record.longContext as Record<string, unknown>).above;
    if (typeof above !== 'number' || !Number.isFinite(above) || above < 0) {
      throw new ConfigError(
        `${path}.longContext.above`,
        'Expected the prompt length (tokens) above which these prices apply',
      );
    }
  }
}

/** Checks the `prices` option; throws ConfigError naming the field. */
export function validatePrices(prices: unknown): PriceOverrides {
  if (prices === undefined) return {};
  if (prices === null || typeof prices !== 'object' || Array.isArray(prices)) {
    throw new ConfigError(
      'prices',
      'Expected an object: model name → { input, output, … } in USD per million tokens',
    );
  }
  for (const [model, price] of Object.entries(prices)) checkPrice(price, `prices.${model}`, true);
  return prices as PriceOverrides;
}

/** `claude-sonnet-4-5-20250929` and `claude-sonnet-4-5-latest` → `claude-sonnet-4-5`; `models/gemini-2.5-flash` → `gemini-2.5-flash`. */
function candidates(model: string): string[] {
  const bare = model.replace(/^models\//, '').replace(/^[a-z]+\//, '');
  const undated = bare.replace(/-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/, '');
  return [model, bare, undated];
}

/** Prices of every model: the `prices` option over the built-in, versioned table. */
export class PriceBook {
  /** Models looked up so far (null: unknown): a budgeted call looks its model up, and names repeat. */
  readonly #seen = new Map<string, ModelPrice | null>();

  constructor(readonly overrides: PriceOverrides = {}) {}

  /** A model's prices, or undefined when neither the option nor the table knows it (its cost is unknown). */
  lookup(model: string | undefined): ModelPrice | undefined {
    if (model === undefined) return undefined;
    const seen = this.#seen.get(model);
    if (seen !== undefined) return seen ?? undefined;
    let found: ModelPrice | undefined;
    for (const name of candidates(model)) {
      found = this.overrides[name] ?? BUILT_IN[name];
      if (found) break;
    }
    // Model names may come from callers: past a thousand, the rest are looked up each time.
    if (this.#seen.size < 1000) this.#seen.set(model, found ?? null);
    return found;
  }
}

/** USD of `tokens` at `perMillion`; undefined price with tokens to price → unknown. */
function part(tokens: number, perMillion: number | undefined): number | null {
  if (tokens === 0) return 0;
  return perMillion === undefined ? null : (tokens * perMillion) / 1e6;
}

/** A usage's buckets: its own when the answer said, else its input and output counts (no cache buckets). */
export function bucketsOf(usage: TokenUsage): UsageBuckets {
  return (
    usage.buckets ?? {
      uncachedInput: usage.inputTokens,
      cacheRead: 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: usage.outputTokens,
      reasoning: 0,
    }
  );
}

/** How a call was sent, for its price: `batch` — through the provider's Batch API. */
export interface CostOptions {
  readonly batch?: boolean;
}

type BasePrice = Omit<ModelPrice, 'longContext' | 'maxOutputTokens'>;

function atBatch<P extends BasePrice>(p: P): P {
  return {
    ...p,
    input: p.batchInput ?? p.input,
    output: p.batchOutput ?? p.output,
    cachedInput: p.batchCachedInput ?? p.cachedInput,
  };
}

/**
 * A model's prices as the Batch API charges them (`batchInput`, `batchOutput`, `batchCachedInput` where
 * the table has them, its long-context tier's too); the standard prices where it has none. Pass it where a
 * `ModelPrice` is wanted (a budget's reservation, a settle) for a call sent in a batch.
 */
export function batchPrice(price: ModelPrice): ModelPrice;
export function batchPrice(price: ModelPrice | undefined): ModelPrice | undefined;
export function batchPrice(price: ModelPrice | undefined): ModelPrice | undefined {
  if (!price) return undefined;
  const { longContext } = price;
  return longContext ? { ...atBatch(price), longContext: atBatch(longContext) } : atBatch(price);
}

/**
 * What a call's usage costs in USD, or `null` when a bucket with tokens has no price (never 0 for an
 * unknown). A prompt longer than `longContext.above` prices every token at the long-context prices;
 * `{ batch: true }` (or `true`) at the Batch API's prices (see `batchPrice`).
 */
export function costOf(
  buckets: UsageBuckets,
  price: ModelPrice | undefined,
  options: CostOptions | boolean = {},
): number | null {
  if (!price) return null;
  const prompt = buckets.uncachedInput + buckets.cacheRead + buckets.cacheWrite + buckets.cacheWrite1h;
  const tier = price.longContext && prompt > price.longContext.above ? price.longContext : price;
  const batch = typeof options === 'boolean' ? options : options.batch === true;
  const p = batch ? atBatch(tier) : tier;
  const parts = [
    part(buckets.uncachedInput, p.input),
    part(buckets.cacheRead, p.cachedInput),
    part(buckets.cacheWrite, p.cacheWrite),
    part(buckets.cacheWrite1h, p.cacheWrite1h),
    part(buckets.output + buckets.reasoning, p.output),
  ];
  let sum = 0;
  for (const x of parts) {
    if (x === null) return null;
    sum += x;
  }
  return sum;
}

/**
 * How many times `toModel`'s price is `fromModel`'s, for `maxFallbackPriceRatio`: the larger of the input
 * and the output ratios. `null` when either price is unknown (a fallback guard should then refuse, unless
 * the call allows it). Pure: pass the `prices` option to count overrides.
 */
export function priceRatio(fromModel: string, toModel: string, prices: PriceOverrides = {}): number | null {
  const book = new PriceBook(prices);
  const from = book.lookup(fromModel);
  const to = book.lookup(toModel);
  if (!from || !to) return null;
  const ratio = (a: number, b: number): number =>
    a === 0 ? (b === 0 ? 1 : Number.POSITIVE_INFINITY) : b / a;
  return Math.max(ratio(from.input, to.input), ratio(from.output, to.output));
}

/** Which buckets a tier's prices cover (`TallyRule.priced`); -1 for no prices. */
function pricedBits(p: BasePrice | undefined): number {
  if (!p) return -1;
  return (
    TIER_BITS.input |
    TIER_BITS.output |
    (p.cachedInput === undefined ? 0 : TIER_BITS.cacheRead) |
    (p.cacheWrite === undefined ? 0 : TIER_BITS.cacheWrite) |
    (p.cacheWrite1h === undefined ? 0 : TIER_BITS.cacheWrite1h)
  );
}

/**
 * How a cost line sorts the calls of a model (src/core/key-counters.ts): by prompt length into its
 * standard and long-context tiers, exactly as `costOf` chooses the tier of one call, and a call with a
 * bucket its tier has no price for into `unknownCalls`, as `costOf`'s `null`.
 */
export function tallyRule(price: ModelPrice | undefined, batch: boolean): TallyRule {
  if (!price) return { above: Number.POSITIVE_INFINITY, priced: [-1, -1] };
  const p = batch ? batchPrice(price) : price;
  const long = p.longContext;
  return { above: long ? long.above : Number.POSITIVE_INFINITY, priced: [pricedBits(p), pricedBits(long)] };
}

type TierCost = (tokens: readonly number[]) => number;

function tierCost(p: BasePrice | undefined): TierCost | undefined {
  if (!p) return undefined;
  const at = (tokens: number, perMillion: number | undefined): number =>
    tokens === 0 || perMillion === undefined ? 0 : (tokens * perMillion) / 1e6;
  return (t) =>
    at(t[0] ?? 0, p.input) +
    at(t[1] ?? 0, p.cachedInput) +
    at(t[2] ?? 0, p.cacheWrite) +
    at(t[3] ?? 0, p.cacheWrite1h) +
    at(t[4] ?? 0, p.output);
}

/**
 * The cost of a tally row's tiers (standard, long context, batch, batch long context), each from its
 * summed tokens: the row holds only calls whose every bucket has a price in their tier.
 */
export function pricedTiers(price: ModelPrice | undefined): readonly (TierCost | undefined)[] {
  if (!price) return [];
  const batch = batchPrice(price);
  return [tierCost(price), tierCost(price.longContext), tierCost(batch), tierCost(batch.longContext)];
}

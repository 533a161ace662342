import type { ModelTarget } from '../core/fallback.js';
import { type PriceOverrides, priceRatio } from '../spend/prices.js';

/** Whether a call of `from` may fall back to `to`; a vetoed target is skipped with reason `price`. */
export type FallbackVeto = (from: ModelTarget, to: ModelTarget) => boolean;

export const allowEveryTarget: FallbackVeto = () => true;

/**
 * `maxFallbackPriceRatio`: a target priced more than `maxRatio` times `from` (the higher of the input and
 * output ratios) is vetoed. Unknown prices (a model in neither the table nor `prices`) veto nothing: the
 * rule guards against silent moves to pricier models, and an unknown price is not known to be one.
 */
export function priceVeto(maxRatio: number, prices: PriceOverrides = {}): FallbackVeto {
  if (maxRatio === Number.POSITIVE_INFINITY) return allowEveryTarget;
  return (from, to) => {
    const ratio = priceRatio(from.model, to.model, prices);
    return ratio === null || ratio <= maxRatio;
  };
}

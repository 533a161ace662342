import type { ModelTarget } from '../core/fallback.js';

/**
 * Whether a call of `from` may fall back to `to`. The one place where a rule about targets plugs in
 * (issue 25's `maxFallbackPriceRatio` vetoes a target priced too far above `from`); a vetoed target is
 * skipped with reason `price`. Today every target is allowed.
 */
export type FallbackVeto = (from: ModelTarget, to: ModelTarget) => boolean;

export const allowEveryTarget: FallbackVeto = () => true;

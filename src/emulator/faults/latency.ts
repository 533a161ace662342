import type { LatencySpec } from '../config/options.js';
import { type Random, randomInt } from '../random.js';

/** When an answer's parts go out: the first token after `firstMs`, each next one `perTokenMs` later. */
export interface Timing {
  readonly firstMs: number;
  readonly perTokenMs: number;
}

export function drawTiming(spec: LatencySpec, random: Random): Timing {
  switch (spec.kind) {
    case 'none':
      return { firstMs: 0, perTokenMs: 0 };
    case 'fixed':
      return { firstMs: spec.ms, perTokenMs: 0 };
    case 'uniform':
      return { firstMs: randomInt(random, spec.minMs, spec.maxMs), perTokenMs: 0 };
    case 'per-token':
      return { firstMs: spec.firstTokenMs, perTokenMs: spec.perTokenMs };
  }
}

/** The same timing, `factor` times slower. */
export function scaled(timing: Timing, factor: number): Timing {
  return factor === 1 ? timing : { firstMs: timing.firstMs * factor, perTokenMs: timing.perTokenMs * factor };
}

/** Total time of a non-streamed answer of `outputTokens` tokens. */
export function totalMs(timing: Timing, outputTokens: number): number {
  return timing.firstMs + timing.perTokenMs * Math.max(0, outputTokens - 1);
}

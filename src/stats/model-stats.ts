import type { KeymuxEvent } from '../core/events.js';
import type { FallbackReason } from '../core/fallback.js';

/** One model's share of the calls that have fallbacks (`provider/model`). */
export interface ModelStats {
  /** Calls (or fallback steps) that ran on this model. */
  readonly requests: number;
  /** Of those, the ones it served. */
  readonly successes: number;
  /** Calls that left this model for the next, by reason. */
  readonly fallbacks: Readonly<Partial<Record<FallbackReason, number>>>;
}

type Counters = { requests: number; successes: number; fallbacks: Partial<Record<FallbackReason, number>> };

/** The fold's state: counters per `provider/model`. */
export type ModelCounterState = Map<string, Counters>;

function countersOf(state: ModelCounterState, model: string): Counters {
  let c = state.get(model);
  if (!c) {
    c = { requests: 0, successes: 0, fallbacks: {} };
    state.set(model, c);
  }
  return c;
}

/** One step of the fold over `model-settled` and `fallback` events; others leave it alone. */
export function foldModelEvent(state: ModelCounterState, event: KeymuxEvent): void {
  if (event.type === 'model-settled') {
    const c = countersOf(state, event.model);
    c.requests++;
    if (event.ok) c.successes++;
  } else if (event.type === 'fallback') {
    const c = countersOf(state, event.from);
    c.fallbacks[event.reason] = (c.fallbacks[event.reason] ?? 0) + 1;
  }
}

export function modelStats(state: ModelCounterState): Record<string, ModelStats> {
  const out: Record<string, ModelStats> = {};
  for (const [model, c] of state) out[model] = { ...c, fallbacks: { ...c.fallbacks } };
  return out;
}

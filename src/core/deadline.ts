/**
 * A call's deadline already worked out, in ms on the multiplexer's clock: set by a wrapped client once per
 * request, so the models of its fallback chain share one deadline instead of each counting `'6h'` anew.
 */
export const DEADLINE_AT: unique symbol = Symbol('keymux.deadlineAt');

/** Call options that may carry a deadline worked out already. */
export interface DeadlineCarrier {
  readonly [DEADLINE_AT]?: number | undefined;
}

/**
 * Marks call options a wrapped client has already checked: its own options once, when the client was made,
 * and per request only what it added (a finite token estimate, a real AbortSignal). The dispatcher skips
 * `validateCallOptions` for them; options without the mark are checked in full, as ever.
 */
export const CHECKED_CALL: unique symbol = Symbol('keymux.checkedCall');

/** Call options that may carry the mark. */
export interface CheckedCarrier {
  readonly [CHECKED_CALL]?: true;
}

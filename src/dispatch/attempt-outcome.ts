import type { KeyRef } from '../core/events.js';
import type { Failure } from '../core/failure.js';

/** How one attempt on one key ended. `skipped`: the key went out of service before the call started. */
export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly skipped: true }
  | { readonly ok: false; readonly skipped: false; readonly failure: Failure; readonly key: KeyRef };

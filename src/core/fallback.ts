import type { FailureClass } from './failure.js';

/**
 * Why a call moved from one model to the next (`fallback` event, stats, `x-keymux-fallback-reason`):
 * - `rate-limited`: every key of the model rests longer than `maxWaitBeforeFallbackMs`;
 * - `quota-exhausted`, `auth`, `no-key`: no key of the model can serve;
 * - `transient`: the model's attempts were used up on 5xx, timeouts or cut streams;
 * - `context-window`, `content-policy`: the provider refused the prompt for that model;
 * - `unsupported`: the target cannot carry the request (tools, images, … through a translation);
 * - `price`: a price rule vetoed the target (see `FallbackVeto`).
 */
export type FallbackReason =
  | 'rate-limited'
  | 'quota-exhausted'
  | 'auth'
  | 'no-key'
  | 'transient'
  | 'context-window'
  | 'content-policy'
  | 'unsupported'
  | 'price';

/** A model of one provider's keys: where a call (or one of its fallbacks) runs. */
export interface ModelTarget {
  readonly provider: string;
  readonly model: string;
}

/** `provider/model`: how events, stats and errors name a target. */
export function targetName(target: ModelTarget): string {
  return `${target.provider}/${target.model}`;
}

/** One model tried for a call, and why it did not serve: kept on the thrown error as `fallbacks`. */
export interface FallbackFailure {
  /** `provider/model`. */
  readonly target: string;
  /** Why it did not serve: a fallback reason, or `bad-request` (it refused the request; the chain ended). */
  readonly reason: FallbackReason | 'bad-request';
  readonly error: unknown;
}

/**
 * Asked by a job that has somewhere to fall back to, before its first attempt (`failureClass` undefined)
 * and after each retryable failure: true makes the job give up on this model now. `readyInMs`: until
 * the earliest key of the pool may serve (0: one can now; undefined: none ever will).
 */
export type FallbackGate = (failureClass: FailureClass | undefined, readyInMs: number | undefined) => boolean;

/** Where `execute`'s call options carry a gate: internal, not a public option. */
export const FALLBACK_GATE: unique symbol = Symbol('keymux.fallbackGate');

/** Call options with a job's gate added (the same options when there is none). */
export function withGate<O extends object>(options: O, gate: FallbackGate | undefined): O {
  return gate === undefined ? options : { ...options, [FALLBACK_GATE]: gate };
}

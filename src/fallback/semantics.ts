import type { FailureClass } from '../core/failure.js';

/** What a failure of one model means for a call that has fallbacks. */
export type FallbackAction = 'wait' | 'fallback' | 'throw';

/** A failure as the semantics table sees it: the dispatcher's classes, and the prompt refusals. */
export type FailureKind = FailureClass | 'no-key' | 'context-window' | 'content-policy';

export interface ActionContext {
  /** Until the earliest key of the model may serve: 0 now, undefined never. */
  readonly readyInMs: number | undefined;
  readonly maxWaitMs: number;
  /** The model still has attempts (its `maxRetries` are not used up). */
  readonly attemptsLeft: boolean;
}

/**
 * The semantics table, one row per failure (README, "Fallbacks"):
 * | failure | action |
 * | rate-limited on every key | wait when a key is ready within `maxWaitMs`, else fall back |
 * | quota exhausted / auth / no usable key | fall back at once |
 * | transient (5xx, timeout, cut stream) | retry on the model while attempts are left and a key is ready within `maxWaitMs`, else fall back |
 * | context window exceeded | fall back (to `contextWindowFallbacks` only) |
 * | content policy | fall back (to `contentPolicyFallbacks` only) |
 * | any other bad request, an abort | throw |
 */
export function actionFor(failure: FailureKind, ctx: ActionContext): FallbackAction {
  const readySoon = ctx.readyInMs !== undefined && ctx.readyInMs <= ctx.maxWaitMs;
  switch (failure) {
    case 'rate-limited':
      return readySoon ? 'wait' : 'fallback';
    case 'quota-exhausted':
    case 'auth':
    case 'no-key':
      return 'fallback';
    case 'transient':
      return ctx.attemptsLeft && readySoon ? 'wait' : 'fallback';
    case 'context-window':
    case 'content-policy':
      return 'fallback';
    case 'bad-request':
    case 'aborted':
      return 'throw';
  }
}

/** Which configured list a failure falls back through. */
export type FallbackList = 'fallbacks' | 'contextWindowFallbacks' | 'contentPolicyFallbacks';

export function listFor(failure: FailureKind): FallbackList {
  if (failure === 'context-window') return 'contextWindowFallbacks';
  if (failure === 'content-policy') return 'contentPolicyFallbacks';
  return 'fallbacks';
}

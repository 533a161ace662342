import {
  isKeymuxError,
  NoAvailableKeyError,
  ProviderError,
  QueueFullError,
  RetriesExhaustedError,
  UnsupportedTargetError,
} from '../core/errors.js';
import { promptRefusal } from '../providers/classify.js';
import type { FailureKind } from './semantics.js';

/**
 * What a model's job ended with, as the semantics table sees it. Errors keymux did not make (the
 * caller's own code, an abort's reason) are the caller's: `aborted` or `bad-request`, never fallen back on.
 */
export function failureKindOf(error: unknown): FailureKind | 'unsupported' {
  if (error instanceof UnsupportedTargetError) return 'unsupported';
  if (error instanceof NoAvailableKeyError) return 'no-key';
  // Every usable key's queue is full: this model cannot take more now.
  if (error instanceof QueueFullError) return 'rate-limited';
  if (error instanceof RetriesExhaustedError) {
    return error.attempts[error.attempts.length - 1]?.failureClass ?? 'rate-limited';
  }
  if (error instanceof ProviderError) {
    if (error.failureClass !== 'bad-request') return error.failureClass;
    return promptRefusal(error.cause) ?? 'bad-request';
  }
  return isKeymuxError(error) ? 'bad-request' : 'aborted';
}

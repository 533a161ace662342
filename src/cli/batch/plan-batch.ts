import { createOpenAIAdapter } from '../../providers/index.js';
import { UsageError } from '../shared/usage-error.js';
import type { BatchRequest, MalformedLine } from './batch-line.js';
import type { DoneSet } from './output-file.js';
import { type BatchInput, describeDuplicates } from './read-input.js';

/** What a run will do: the lines still to send and the malformed lines still to report. */
export interface BatchPlan {
  readonly total: number;
  readonly alreadyDone: number;
  readonly toSend: ReadonlyArray<{ readonly request: BatchRequest; readonly tokens: number }>;
  readonly malformed: readonly MalformedLine[];
  readonly estimatedTokens: number;
}

/** Refuses duplicate custom_ids; skips what an earlier run already wrote; estimates each line's tokens. */
export function planBatch(input: BatchInput, done: DoneSet): BatchPlan {
  if (input.duplicates.length > 0) throw new UsageError(describeDuplicates(input.duplicates));
  const estimate = createOpenAIAdapter().estimateTokens;
  const toSend = input.requests
    .filter((r) => !done.customIds.has(r.customId))
    .map((request) => ({ request, tokens: estimate?.(request.body) ?? 0 }));
  const malformed = input.malformed.filter((m) =>
    m.customId === null ? !done.malformedLines.has(m.lineNumber) : !done.customIds.has(m.customId),
  );
  const total = input.requests.length + input.malformed.length;
  return {
    total,
    alreadyDone: total - toSend.length - malformed.length,
    toSend,
    malformed,
    estimatedTokens: toSend.reduce((sum, x) => sum + x.tokens, 0),
  };
}

/** The one-paragraph summary `--dry-run` prints, and every run prints before it starts. */
export function describePlan(plan: BatchPlan): string {
  return (
    `${plan.total} lines: ${plan.toSend.length} to send (about ${plan.estimatedTokens} tokens, prompt + max output), ` +
    `${plan.malformed.length} malformed, ${plan.alreadyDone} already in the output`
  );
}

import type { KeyRef, TokenUsage } from './events.js';

/** What a job's function learns of the attempt it runs in. */
export interface JobContext {
  readonly key: KeyRef;
  readonly jobId: number;
  /** 1-based; a job moves to another key on each retryable failure. */
  readonly attempt: number;
  /** Aborts when the caller aborts, the job's deadline passes or the multiplexer is force-closed. */
  readonly signal: AbortSignal;
  /** Keeps this key's concurrency slot until `done` settles: a stream holds its slot until consumed. */
  hold(done: Promise<unknown>): void;
  /** The call's real usage, reconciled against the estimate when the slot is released. */
  reportUsage(usage: TokenUsage): void;
}

/** What budgets read of a job: its tag, its token estimate and its spend facts (from `JobGuard.spendOf`). */
export interface BudgetedJob {
  readonly tag?: string | undefined;
  readonly tokens: number;
  readonly spend?: unknown;
}

/**
 * The budgets, as a key's lane uses them around each attempt of a job some budget may cover: `reserve`
 * before the call is sent (a ticket, or undefined when no budget covers the key; throws
 * BudgetExceededError when one refuses), then `settle` with the answer's usage once the call (or its
 * stream) ended, or `release` when it failed before costing anything. A step that returns a promise is
 * awaited (a shared store's round trip). One object for every job: a queued job holds nothing of it.
 */
export interface JobBudget {
  reserve(job: BudgetedJob, key: KeyRef): unknown;
  settle(job: BudgetedJob, ticket: unknown, usage: TokenUsage | undefined): void | Promise<void>;
  release(ticket: unknown): void | Promise<void>;
}

/** A batch submitted by the offload engine: enough to collect its results after a restart. */
export interface OffloadedBatch {
  readonly id: string;
  readonly provider: 'openai' | 'anthropic';
  /** The key that submitted it: its organization owns the batch, so the key polls it too. */
  readonly key: string;
  readonly model: string;
  /** Clock ms. */
  readonly submittedAt: number;
  readonly customIds: readonly string[];
}

/**
 * Where the offload engine writes its batches down before it waits on them: the memory journal (one
 * process) or the Redis store's (shared, survives a restart). A restarted process that offers a call
 * whose custom_id is here collects that batch's result instead of submitting it again.
 */
export interface OffloadJournal {
  save(batch: OffloadedBatch): Promise<void>;
  /** The batch holding this custom_id, if any is still open. */
  find(customId: string): Promise<OffloadedBatch | undefined>;
  /** The batch's results are collected: forget it and its custom_ids. */
  remove(batch: OffloadedBatch): Promise<void>;
  list(): Promise<readonly OffloadedBatch[]>;
}

export interface OffloadStats {
  /** Calls accepted for a batch. */
  offered: number;
  batches: number;
  /** Calls answered from a batch's results. */
  servedByBatch: number;
  /** Calls sent synchronously after all: a failed or expired line, a deadline coming near, a submit failure. */
  resentSync: number;
}

/** One provider and model's offloaded calls, as `getUsageStats().offload.models` shows them. */
export interface OffloadModelStats {
  /** Calls accepted for a batch. */
  readonly requests: number;
  /** Of those, the ones answered: by their batch line, or by the synchronous call that replaced it. */
  readonly successes: number;
  /** The ones that failed: refused by a budget, cut short by close(), or failed when re-sent synchronously. */
  readonly failures: number;
  readonly servedByBatch: number;
  readonly resentSync: number;
}

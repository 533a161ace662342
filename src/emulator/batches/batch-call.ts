import type { BatchSpec } from '../config/options.js';
import type { Reply } from '../dialects/dialect.js';
import { type BatchJob, drawLines } from './batch-jobs.js';
import type { BatchStore } from './batch-store.js';

/** One authenticated Batch API request, with what its handler needs of the emulator. */
export interface BatchCall {
  readonly store: BatchStore;
  readonly spec: Required<BatchSpec>;
  readonly seed: number;
  readonly outputTokens: { readonly min: number; readonly max: number };
  /** Emulator ms. */
  readonly now: number;
  readonly url: URL;
  /** `http://host:port`, as the client reached the emulator (Anthropic's `results_url`). */
  readonly origin: string;
  /** The key's name and pool (its organization, which owns files and batches). */
  readonly key: string;
  readonly pool: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** The body parsed as JSON; an Error when it is not JSON. */
  json(): unknown;
}

/** A JSON reply, or a file's bytes. */
export type BatchReply = Reply | { readonly bytes: Buffer; readonly contentType: string };

/** A new batch of the caller's pool, its lines' fates drawn, kept in the store. */
export function openJob(
  c: BatchCall,
  fields: Pick<BatchJob, 'id' | 'provider' | 'endpoint' | 'inputFileId' | 'metadata' | 'invalid'>,
  entries: Parameters<typeof drawLines>[0],
): BatchJob {
  const job: BatchJob = {
    ...fields,
    pool: c.pool,
    key: c.key,
    lines: drawLines(entries, c.spec, c.seed, fields.id),
    createdAt: c.now,
    cancelAt: undefined,
    results: undefined,
    outputFileId: undefined,
    errorFileId: undefined,
  };
  c.store.jobs.set(job.id, job);
  return job;
}

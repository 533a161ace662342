import type { BatchJob } from './batch-jobs.js';

/** An uploaded or generated file (OpenAI Files). */
export interface StoredFile {
  readonly id: string;
  readonly pool: string;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: Buffer;
  /** Emulator ms. */
  readonly createdAt: number;
}

/** What a test or bench can read of a batch: who sent it and what became of each line. */
export interface BatchRecord {
  readonly id: string;
  readonly provider: 'openai' | 'anthropic';
  readonly key: string;
  readonly customIds: readonly string[];
  readonly cancelled: boolean;
}

/** The Batch APIs' objects, in memory for the emulator's life. */
export class BatchStore {
  readonly files = new Map<string, StoredFile>();
  readonly jobs = new Map<string, BatchJob>();
  #next = 0;

  /** `file-…`, `batch_…`, `msgbatch_…`: distinct, ordered, never from the seeded random. */
  nextId(prefix: string): string {
    this.#next++;
    return `${prefix}emu${this.#next.toString(16).padStart(20, '0')}`;
  }

  /** The job of this id owned by `pool` (another organization's batch is not found). */
  job(id: string, pool: string, provider: BatchJob['provider']): BatchJob | undefined {
    const job = this.jobs.get(id);
    return job !== undefined && job.pool === pool && job.provider === provider ? job : undefined;
  }

  file(id: string, pool: string): StoredFile | undefined {
    const file = this.files.get(id);
    return file !== undefined && file.pool === pool ? file : undefined;
  }

  /** Newest first, as both providers list. */
  list(pool: string, provider: BatchJob['provider']): BatchJob[] {
    return [...this.jobs.values()].filter((j) => j.pool === pool && j.provider === provider).reverse();
  }

  /** One page of `list`, after the batch `after` (a cursor), of `limit` (1 to `max`, else 20). */
  page(
    pool: string,
    provider: BatchJob['provider'],
    after: string | null,
    limit: string | null,
    max: number,
  ): { readonly page: BatchJob[]; readonly hasMore: boolean } {
    const all = this.list(pool, provider);
    const size = Math.min(max, Math.max(1, Number(limit ?? 20) || 20));
    const start = after === null ? 0 : all.findIndex((j) => j.id === after) + 1;
    return { page: all.slice(start, start + size), hasMore: start + size < all.length };
  }

  records(): BatchRecord[] {
    return [...this.jobs.values()].map((j) => ({
      id: j.id,
      provider: j.provider,
      key: j.key,
      customIds: j.lines.map((l) => l.customId),
      cancelled: j.cancelAt !== undefined,
    }));
  }
}

import type { OffloadedBatch, OffloadJournal } from '../core/offload-journal.js';

/**
 * The journal of one process: batches are collected while it runs, and forgotten when it ends.
 * `persist` (the CLI's file journal) is told every change, with the open batches.
 */
export function memoryJournal(
  initial: readonly OffloadedBatch[] = [],
  persist?: (batches: readonly OffloadedBatch[]) => void,
): OffloadJournal {
  const batches = new Map<string, OffloadedBatch>();
  const byCustomId = new Map<string, string>();
  const add = (batch: OffloadedBatch): void => {
    batches.set(batch.id, batch);
    for (const id of batch.customIds) byCustomId.set(id, batch.id);
  };
  for (const batch of initial) add(batch);
  return {
    async save(batch) {
      add(batch);
      persist?.([...batches.values()]);
    },
    async find(customId) {
      const id = byCustomId.get(customId);
      return id === undefined ? undefined : batches.get(id);
    },
    async remove(batch) {
      batches.delete(batch.id);
      for (const id of batch.customIds) if (byCustomId.get(id) === batch.id) byCustomId.delete(id);
      persist?.([...batches.values()]);
    },
    async list() {
      return [...batches.values()];
    },
  };
}

import type { OffloadedBatch, OffloadJournal } from '../core/offload-journal.js';

/** The journal of one process: batches are collected while it runs, and forgotten when it ends. */
export function memoryJournal(): OffloadJournal {
  const batches = new Map<string, OffloadedBatch>();
  const byCustomId = new Map<string, string>();
  return {
    async save(batch) {
      batches.set(batch.id, batch);
      for (const id of batch.customIds) byCustomId.set(id, batch.id);
    },
    async find(customId) {
      const id = byCustomId.get(customId);
      return id === undefined ? undefined : batches.get(id);
    },
    async remove(batch) {
      batches.delete(batch.id);
      for (const id of batch.customIds) if (byCustomId.get(id) === batch.id) byCustomId.delete(id);
    },
    async list() {
      return [...batches.values()];
    },
  };
}

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { OffloadedBatch, OffloadJournal } from '../../core/offload-journal.js';

/**
 * `keymux batch --offload` without Redis: the open batches in a file beside the output
 * (`<output>.batches.json`), so a run stopped while its batches ran collects them when resumed.
 */
export function fileJournal(path: string): OffloadJournal {
  const batches = new Map<string, OffloadedBatch>(
    existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as OffloadedBatch[]).map((b) => [b.id, b])
      : [],
  );
  const byCustomId = new Map<string, string>();
  for (const b of batches.values()) for (const id of b.customIds) byCustomId.set(id, b.id);
  const write = (): void => {
    writeFileSync(`${path}.tmp`, JSON.stringify([...batches.values()]), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  };
  return {
    async save(batch) {
      batches.set(batch.id, batch);
      for (const id of batch.customIds) byCustomId.set(id, batch.id);
      write();
    },
    async find(customId) {
      const id = byCustomId.get(customId);
      return id === undefined ? undefined : batches.get(id);
    },
    async remove(batch) {
      batches.delete(batch.id);
      for (const id of batch.customIds) if (byCustomId.get(id) === batch.id) byCustomId.delete(id);
      write();
    },
    async list() {
      return [...batches.values()];
    },
  };
}

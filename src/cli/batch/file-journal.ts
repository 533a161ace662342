import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { OffloadedBatch, OffloadJournal } from '../../core/offload-journal.js';
import { memoryJournal } from '../../offload/memory-journal.js';

/**
 * `keymux batch --offload` without Redis: the open batches in a file beside the output
 * (`<output>.batches.json`), so a run stopped while its batches ran collects them when resumed.
 */
export function fileJournal(path: string): OffloadJournal {
  const initial = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as OffloadedBatch[]) : [];
  return memoryJournal(initial, (batches) => {
    writeFileSync(`${path}.tmp`, JSON.stringify(batches), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  });
}

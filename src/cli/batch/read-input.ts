import { readFile } from 'node:fs/promises';
import { type BatchRequest, type MalformedLine, parseBatchLine } from './batch-line.js';

export interface BatchInput {
  readonly requests: readonly BatchRequest[];
  readonly malformed: readonly MalformedLine[];
  /** custom_ids used on more than one line, with those lines. */
  readonly duplicates: ReadonlyArray<{ readonly customId: string; readonly lineNumbers: readonly number[] }>;
}

/** Reads and checks a whole input file before anything is sent; blank lines are skipped. */
export async function readBatchInput(path: string): Promise<BatchInput> {
  return parseBatchInput(await readFile(path, 'utf8'));
}

export function parseBatchInput(text: string): BatchInput {
  const requests: BatchRequest[] = [];
  const malformed: MalformedLine[] = [];
  const seen = new Map<string, number[]>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const parsed = parseBatchLine(line, index + 1);
    const customId = parsed.ok ? parsed.request.customId : parsed.malformed.customId;
    if (parsed.ok) requests.push(parsed.request);
    else malformed.push(parsed.malformed);
    if (customId !== null) seen.set(customId, [...(seen.get(customId) ?? []), index + 1]);
  });
  const duplicates = [...seen]
    .filter(([, lines]) => lines.length > 1)
    .map(([customId, lineNumbers]) => ({ customId, lineNumbers }));
  return { requests, malformed, duplicates };
}

/** One line naming the first few duplicate custom_ids and where they are. */
export function describeDuplicates(duplicates: BatchInput['duplicates']): string {
  const shown = duplicates
    .slice(0, 3)
    .map((d) => `${JSON.stringify(d.customId)} on lines ${d.lineNumbers.join(', ')}`)
    .join('; ');
  const more = duplicates.length > 3 ? ` and ${duplicates.length - 3} more` : '';
  return `duplicate custom_id: ${shown}${more}; nothing was sent`;
}

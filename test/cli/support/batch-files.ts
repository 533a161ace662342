import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keymux-cli-'));
}

/** A Batch API input file of `count` chat completions, `id-0` … */
export function writeBatchInput(path: string, count: number): void {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      custom_id: `id-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 16 },
    }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

export interface OutputLine {
  readonly custom_id: string | null;
  readonly response: { readonly status_code: number } | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export function readOutput(path: string): OutputLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OutputLine);
}

/** custom_ids that appear more than once. */
export function repeated(ids: readonly (string | null | undefined)[]): string[] {
  const seen = new Map<string, number>();
  for (const id of ids) if (id != null) seen.set(id, (seen.get(id) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

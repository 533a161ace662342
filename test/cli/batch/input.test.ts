import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputFile, readDone } from '../../../src/cli/batch/output-file.js';
import { errorLine, malformedLine, responseLine } from '../../../src/cli/batch/output-line.js';
import { describeDuplicates, parseBatchInput } from '../../../src/cli/batch/read-input.js';

const line = (id: string, extra: object = {}): string =>
  JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'm', messages: [] },
    ...extra,
  });

describe('parseBatchInput', () => {
  it('keeps valid lines, reports malformed ones with their line numbers, skips blank lines', () => {
    const text = [
      line('a'),
      '',
      '{not json',
      line('b', { method: 'GET' }),
      JSON.stringify({ url: 'x' }),
      line('c'),
    ].join('\n');
    const input = parseBatchInput(text);
    expect(input.requests.map((r) => [r.customId, r.lineNumber])).toEqual([
      ['a', 1],
      ['c', 6],
    ]);
    expect(input.malformed.map((m) => [m.lineNumber, m.customId])).toEqual([
      [3, null],
      [4, 'b'],
      [5, null],
    ]);
    expect(input.malformed[1]?.message).toContain('method must be "POST"');
    expect(input.duplicates).toEqual([]);
  });

  it('finds duplicate custom_ids, malformed lines included', () => {
    const input = parseBatchInput([line('a'), line('b'), line('a', { url: '/v2/x' })].join('\n'));
    expect(input.duplicates).toEqual([{ customId: 'a', lineNumbers: [1, 3] }]);
    expect(describeDuplicates(input.duplicates)).toBe(
      'duplicate custom_id: "a" on lines 1, 3; nothing was sent',
    );
  });
});

describe('output file', () => {
  it('resumes from what was written and cuts a partial last line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keymux-')), 'out.jsonl');
    const out = new OutputFile(path);
    out.write(responseLine('a', 200, 'req_1', { ok: true }));
    out.write(errorLine('b', 'retries_exhausted', 'every attempt failed'));
    out.write(malformedLine({ lineNumber: 7, customId: null, message: 'not valid JSON' }));
    out.close();
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"id":"batch_req_x","custom_id":"c","resp`);
    const done = readDone(path);
    expect([...done.customIds]).toEqual(['a', 'b']);
    expect([...done.malformedLines]).toEqual([7]);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../scripts/test-summary.mjs');

function summary(report: object): { code: number | null; out: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'keymux-summary-')), 'report.json');
  writeFileSync(file, JSON.stringify(report));
  const run = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8' });
  return { code: run.status, out: run.stdout };
}

const test = (status: string) => ({ status, title: 't', fullName: 't', failureMessages: [] });

describe('scripts/test-summary.mjs', () => {
  it('counts the tests of a file that failed to start as failed, not skipped, and names the file', () => {
    const { code, out } = summary({
      success: false,
      testResults: [
        {
          name: join(process.cwd(), 'test/a.test.ts'),
          status: 'passed',
          message: '',
          assertionResults: [test('passed'), test('passed')],
        },
        {
          name: join(process.cwd(), 'test/serve/dashboard.test.ts'),
          status: 'failed',
          message: '',
          assertionResults: [test('skipped')],
        },
      ],
    });
    expect(code).toBe(1);
    expect(out).toContain('tests: 2 passed, 1 failed, 0 skipped');
    expect(out).toContain('test/serve/dashboard.test.ts: did not run (1 test(s) counted failed)');
  });

  it('keeps real skips as skips and passes a clean run', () => {
    const { code, out } = summary({
      success: true,
      testResults: [
        { name: 'x', status: 'passed', message: '', assertionResults: [test('passed'), test('skipped')] },
      ],
    });
    expect(code).toBe(0);
    expect(out.trim()).toBe('tests: 1 passed, 0 failed, 1 skipped');
  });

  it('does not double count a file whose own tests failed', () => {
    const { code, out } = summary({
      success: false,
      testResults: [
        { name: 'x', status: 'failed', message: '', assertionResults: [test('failed'), test('skipped')] },
      ],
    });
    expect(code).toBe(1);
    expect(out.trim()).toBe('tests: 0 passed, 1 failed, 1 skipped');
  });
});

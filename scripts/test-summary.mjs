// Prints vitest's JSON report as one plain closing line: "N passed, N failed, N skipped".
// A file that failed without a failed test (its beforeAll threw, it did not import, a hook timed out) is a
// failure, not a skip: its tests that did not run count as failed, and the file is named with the reason
// vitest printed above.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

/** The closing lines for a vitest JSON report, and whether the run passed. */
export function summarize(report) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const broken = [];
  for (const file of report.testResults) {
    const counts = { passed: 0, failed: 0, other: 0 };
    for (const test of file.assertionResults) {
      if (test.status === 'passed') counts.passed++;
      else if (test.status === 'failed') counts.failed++;
      else counts.other++;
    }
    passed += counts.passed;
    failed += counts.failed;
    if (file.status === 'failed' && counts.failed === 0) {
      // Nothing failed inside it, yet the file failed: it could not start (or finish).
      const lost = Math.max(counts.other, 1);
      failed += lost;
      const why = (file.message ?? '').split('\n')[0] || 'see its error above';
      broken.push(
        `${relative(process.cwd(), file.name)}: did not run (${lost} test(s) counted failed): ${why}`,
      );
    } else {
      skipped += counts.other;
    }
  }
  const lines = [`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`];
  if (broken.length > 0)
    lines.push(`suites that failed to start: ${broken.length}`, ...broken.map((b) => `  ${b}`));
  return { lines, ok: report.success === true && failed === 0 };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const { lines, ok } = summarize(JSON.parse(readFileSync(process.argv[2], 'utf8')));
  console.log(lines.join('\n'));
  process.exit(ok ? 0 : 1);
}

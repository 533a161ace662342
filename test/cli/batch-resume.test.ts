import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { readOutput, repeated, tempDir, writeBatchInput } from './support/batch-files.js';
import { cleanEnv, collect, runCli, spawnCli } from './support/run-cli.js';

const KEYS = ['sk-resume-test-key-01', 'sk-resume-test-key-02'];
const LINES = 300;

function linesIn(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('keymux batch, interrupted and resumed', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      keys: KEYS.map((key) => ({ key })),
      defaultLimits: { rpm: 60_000, tpm: 10_000_000 },
      latency: { kind: 'uniform', minMs: 20, maxMs: 60 },
    });
  });
  afterAll(() => emulator.close());

  it('ends with one line per custom_id and sends no custom_id twice', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeBatchInput(input, LINES);
    const env = cleanEnv({
      OPENAI_API_KEYS: KEYS.join(','),
      OPENAI_BASE_URL: baseUrlFor('openai', emulator.url),
    });
    const args = ['batch', input, '--output', output, '--concurrency', '8'];

    const child = spawnCli(args, env);
    const first = collect(child);
    while (linesIn(output) < LINES / 4) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const stopped = await first;
    expect(stopped.code, stopped.stderr).toBe(130);
    const partial = linesIn(output);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(LINES);

    const resumed = await runCli(args, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`${partial} already in the output`);
    const ids = readOutput(output).map((l) => l.custom_id);
    expect(ids).toHaveLength(LINES);
    expect(repeated(ids)).toEqual([]);
    const sent = emulator.ledger.entries().map((e) => e.requestId);
    expect(sent).toHaveLength(LINES);
    expect(repeated(sent)).toEqual([]);
  }, 120_000);
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { readOutput, repeated, tempDir, writeBatchInput } from './support/batch-files.js';
import { cleanEnv, collect, runCli, spawnCli } from './support/run-cli.js';

const KEY = 'sk-offload-cli-test-key-01';
const LINES = 40;

describe('keymux batch --offload, interrupted and resumed', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // An hour of provider time in 100 ms; 10% of lines fail and are sent synchronously instead.
    emulator = await startEmulator({
      keys: [{ key: KEY, name: 'a' }],
      defaultLimits: { rpm: 60_000, tpm: 10_000_000 },
      batches: {
        timeScale: 36_000,
        validatingMs: 60_000,
        processingMs: 3_600_000,
        finalizingMs: 60_000,
        failRate: 0.1,
      },
    });
  });
  afterAll(() => emulator.close());

  it('collects the open batch on resume: every custom_id once, no line paid twice', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeBatchInput(input, LINES);
    const env = cleanEnv({ OPENAI_API_KEYS: KEY, OPENAI_BASE_URL: baseUrlFor('openai', emulator.url) });
    const args = [
      'batch',
      input,
      '--output',
      output,
      '--offload',
      '--offload-max-wait',
      '20ms',
      '--offload-poll',
      '2000',
    ];

    const child = spawnCli(args, env);
    const first = collect(child);
    while (emulator.batches().length === 0) await new Promise((r) => setTimeout(r, 10));
    // Submitted, not yet ended: stop now (twice: the first Ctrl-C would wait for the batch).
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect((await first).code).toBe(130);
    expect(existsSync(`${output}.batches.json`)).toBe(true);

    const resumed = await runCli([...args.slice(0, -1), '20'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const ids = readOutput(output).map((l) => l.custom_id);
    expect(ids).toHaveLength(LINES);
    expect(repeated(ids)).toEqual([]);
    expect(emulator.batches()).toHaveLength(1);
    const sync = emulator.ledger.entries().filter((e) => e.endpoint === 'chat');
    // Only the failed lines went synchronously, each once.
    expect(sync.length).toBeGreaterThan(0);
    expect(sync.length).toBeLessThan(LINES);
    expect(repeated(sync.map((e) => e.requestId))).toEqual([]);
    expect(readOutput(output).every((l) => l.response?.status_code === 200)).toBe(true);
  }, 60_000);
});

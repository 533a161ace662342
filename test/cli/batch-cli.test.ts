import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { readOutput, repeated, tempDir, writeBatchInput } from './support/batch-files.js';
import { cleanEnv, runCli } from './support/run-cli.js';

const KEYS = ['sk-batch-test-key-0001', 'sk-batch-test-key-0002', 'sk-batch-test-key-0003'];

describe('keymux batch (child process, emulator in the test process)', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  const dir = tempDir();

  beforeAll(async () => {
    emulator = await startEmulator({
      keys: KEYS.map((key) => ({ key })),
      defaultLimits: { rpm: 60_000, tpm: 10_000_000 },
      latency: { kind: 'uniform', minMs: 2, maxMs: 10 },
      faults: [
        { kind: 'server-error', rate: 0.08 },
        { kind: 'rate-limit', rate: 0.02 },
        { kind: 'reset', rate: 0.02 },
      ],
      seed: 3,
    });
    env = cleanEnv({
      OPENAI_API_KEYS: KEYS.join(','),
      OPENAI_BASE_URL: baseUrlFor('openai', emulator.url),
      // The faults' 429s carry no hint; keymux's default minute of cooldown would make the test slow, not better.
      KEYMUX_RATE_LIMIT_COOLDOWN_MS: '100',
      KEYMUX_COOLDOWN_MS: '300',
      KEYMUX_INITIAL_RETRY_DELAY: '10',
    });
  });
  afterAll(() => emulator.close());

  it('writes one line per custom_id over 200 lines with injected faults, none answered twice', async () => {
    const input = join(dir, 'faults.jsonl');
    const output = join(dir, 'faults.out.jsonl');
    // 200 lines: at these fault rates about 24 of them fail at least once, each retried and written once.
    writeBatchInput(input, 200);
    const result = await runCli(['batch', input, '--output', output, '--concurrency', '24'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = readOutput(output);
    expect(lines).toHaveLength(200);
    expect(new Set(lines.map((l) => l.custom_id))).toEqual(
      new Set(Array.from({ length: 200 }, (_, i) => `id-${i}`)),
    );
    expect(repeated(lines.map((l) => l.custom_id))).toEqual([]);
    expect(emulator.ledger.entries({ status: 500 }).length).toBeGreaterThan(0);
    expect(emulator.ledger.duplicates()).toEqual([]);
    expect(result.stdout).toMatch(/openai-0\s+sk-b…0001/);
  }, 120_000);

  it('reports malformed lines by number and writes them as error lines', async () => {
    const input = join(dir, 'mixed.jsonl');
    const output = join(dir, 'mixed.out.jsonl');
    const good = JSON.stringify({
      custom_id: 'ok-1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    });
    writeFileSync(
      input,
      `${good}\n{oops\n${JSON.stringify({ custom_id: 'bad-2', method: 'GET', url: '/v1/chat/completions', body: {} })}\n`,
    );
    emulator.setFaults([]);
    const first = await runCli(['batch', input, '-o', output], env);
    // Error lines were written: exit 3 (see `keymux batch --help`).
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toContain('line 2: not valid JSON');
    expect(first.stderr).toContain('line 3: method must be "POST"');
    // The run's cost: model `m` has no price, so its one call is counted apart, never as $0 spent.
    expect(first.stdout).toContain(
      'cost: $0.000000 for 1 answered calls; 1 of them of a model without a price',
    );
    const lines = readOutput(output);
    expect(lines.map((l) => [l.custom_id, l.error?.code ?? l.response?.status_code])).toEqual(
      expect.arrayContaining([
        ['ok-1', 200],
        [null, 'invalid_input_line'],
        ['bad-2', 'invalid_input_line'],
      ]),
    );
    const again = await runCli(['batch', input, '-o', output], env);
    expect(again.code).toBe(0);
    expect(readOutput(output)).toHaveLength(3);
    // Nothing left to send: it says so, instead of a per-key table of zeros.
    expect(again.stderr).toContain(`nothing to send: all 3 lines are already in ${output}`);
    expect(again.stdout).not.toContain('requests');
  });

  it('refuses duplicate custom_ids before sending anything', async () => {
    const input = join(dir, 'dup.jsonl');
    writeBatchInput(input, 3);
    writeFileSync(input, `${writeLine('id-1')}\n`, { flag: 'a' });
    const before = emulator.ledger.size;
    const result = await runCli(['batch', input, '-o', join(dir, 'dup.out.jsonl')], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('duplicate custom_id: "id-1" on lines 2, 4');
    expect(emulator.ledger.size).toBe(before);
  });

  it('validates and estimates with --dry-run, sending nothing', async () => {
    const input = join(dir, 'dry.jsonl');
    writeBatchInput(input, 7);
    const before = emulator.ledger.size;
    const result = await runCli(['batch', input, '-o', join(dir, 'dry.out.jsonl'), '--dry-run'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/7 lines: 7 to send \(about \d+ tokens/);
    expect(emulator.ledger.size).toBe(before);
  });

  it('says which env variables it reads when there are no keys, and exits 2 on misuse', async () => {
    const input = join(dir, 'nokeys.jsonl');
    writeBatchInput(input, 1);
    const [noKeys, badFlag, badValue] = await Promise.all([
      runCli(['batch', input, '-o', join(dir, 'nokeys.out.jsonl')]),
      runCli(['batch', input, '-o', 'x', '--bogus']),
      runCli(['batch', input, '-o', 'x', '--concurrency', 'zero']),
    ]);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('OPENAI_API_KEYS');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr.trim().split('\n')).toHaveLength(1);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('Expected a whole number');
  });
});

function writeLine(id: string): string {
  return JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'm', messages: [] },
  });
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { tempDir } from './support/batch-files.js';
import { cleanEnv, runCli } from './support/run-cli.js';

const GOOD = 'sk-keys-cli-good-000001';
const BAD = 'sk-keys-cli-bad-0000002';

/** Neither key value may appear anywhere the command writes. */
function expectNoKeys(...outputs: string[]): void {
  for (const output of outputs) {
    expect(output).not.toContain(GOOD);
    expect(output).not.toContain(BAD);
  }
}

describe('keymux keys (child process, emulator in the test process)', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  const dir = tempDir();

  beforeAll(async () => {
    emulator = await startEmulator({ keys: [{ key: GOOD }], defaultLimits: { rpm: 500, tpm: 200_000 } });
    env = cleanEnv({
      OPENAI_API_KEYS: `${GOOD},${BAD}`,
      OPENAI_BASE_URL: baseUrlFor('openai', emulator.url),
      OPENAI_MAX_REQUESTS_PER_MINUTE_0: '450',
    });
  });
  afterAll(() => emulator.close());

  it('check: prints the good and the bad key and exits 1', async () => {
    const result = await runCli(['keys', 'check'], env);
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.split('\n');
    const good = lines.find((l) => l.includes('openai-0'));
    const bad = lines.find((l) => l.includes('openai-1'));
    // The emulator's models list carries no limit headers, as the providers' own: nothing learned.
    expect(good).toMatch(/sk-k…0001\s+ok 200\s+\d+ ms\s+–/);
    expect(bad).toMatch(/sk-k…0002\s+FAILED 401 auth → unavailable/);
    expectNoKeys(result.stdout, result.stderr);
    // A check is a models list, never a chat request.
    expect(emulator.ledger.entries().map((e) => e.endpoint)).toEqual(['models', 'models']);
  });

  it('check --json over a config file: one result per key; exits 0 when every key passes', async () => {
    const config = join(dir, 'keymux.json');
    const baseURL = baseUrlFor('openai', emulator.url);
    writeFileSync(
      config,
      JSON.stringify({
        providers: {
          openai: {
            keys: [
              { key: GOOD, name: 'main', baseURL },
              { key: BAD, enabled: false },
            ],
          },
        },
      }),
    );
    const result = await runCli(['keys', 'check', '--json', '--config', config], cleanEnv({}));
    expect(result.code, result.stderr).toBe(0);
    const results = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(results.map((r) => [r.name, r.ok, r.skipped])).toEqual([
      ['main', true, undefined],
      ['openai-1', false, 'disabled'],
    ]);
    expectNoKeys(result.stdout, result.stderr);
  });

  it('list: names, masked labels and configured limits', async () => {
    const result = await runCli(['keys', 'list'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/openai\s+openai-0\s+sk-k…0001\s+yes\s+rpm 450/);
    expect(result.stdout).toMatch(/openai\s+openai-1\s+sk-k…0002\s+yes\s+none: learned from headers/);
    expectNoKeys(result.stdout, result.stderr);
  });
});

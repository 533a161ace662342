import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/shared/redis-server.js';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { RedisServer } from '../support/redis-server.js';
import { readOutput, tempDir, writeBatchInput } from './support/batch-files.js';
import { type CliResult, cleanEnv, collect, spawnCli } from './support/run-cli.js';

const KEY = 'sk-redis-cli-key-000001';
const PASSWORD = 'correct-horse-0451';
const WRONG = 'wrong-staple-9f3e';

/** `keymux …`, killed if it has not ended long after it should have: a hang fails the test, not the run. */
async function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawnCli(args, env);
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const result = await collect(child);
  clearTimeout(killer);
  return result;
}

/** Nothing the command wrote holds the Redis password it was given, nor the key. */
function expectNoSecrets(result: CliResult): void {
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toContain(WRONG);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(KEY);
  }
}

// Concurrent: each test waits on child processes, not on the CPU.
describe.concurrent('CLI commands given a Redis that cannot be used (child processes, real redis-server)', () => {
  let redis: RedisServer;
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  let wrongUrl: string;
  const dir = tempDir();
  const input = join(dir, 'in.jsonl');

  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
    wrongUrl = `redis://:${WRONG}@127.0.0.1:${redis.port}`;
    emulator = await startEmulator({ keys: [{ key: KEY }], defaultLimits: { rpm: 6000, tpm: 1_000_000 } });
    env = cleanEnv({ OPENAI_API_KEYS: KEY, OPENAI_BASE_URL: baseUrlFor('openai', emulator.url) });
    writeBatchInput(input, 3);
  });
  afterAll(async () => {
    await emulator.close();
    await redis.stop();
  });

  it('batch --redis with a wrong password: exit 2 naming WRONGPASS, nothing sent; --redis-optional runs alone, saying so', async () => {
    const refused = await run(['batch', input, '-o', join(dir, 'a.jsonl'), '--redis', wrongUrl], env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/keymux batch: cannot share the keys' limits through Redis: .*WRONGPASS/);
    expect(refused.stderr).toMatch(/--redis-optional/);
    expectNoSecrets(refused);
    expect(existsSync(join(dir, 'a.jsonl'))).toBe(false); // nothing sent, nothing written

    const output = join(dir, 'b.jsonl');
    const alone = await run(['batch', input, '-o', output, '--redis', wrongUrl, '--redis-optional'], env);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).toMatch(/Redis cannot be reached, running alone .*WRONGPASS/);
    expectNoSecrets(alone);
    expect(readOutput(output)).toHaveLength(3);
  });

  it('batch with KEYMUX_REDIS_URL refused: exit 2 after the start allowance, naming the refusal', async () => {
    const port = await freePort(); // nothing listens there
    // An allowance long enough for the child's first connection attempt to fail even on a machine at a
    // load of 15 (at 300 ms the reason could be the client's bare "offline", before any attempt ended).
    const result = await run(['batch', input, '-o', join(dir, 'c.jsonl')], {
      ...env,
      KEYMUX_REDIS_URL: `redis://:${WRONG}@127.0.0.1:${port}`,
      KEYMUX_REDIS_STARTUP_TIMEOUT: '1500',
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/not ready within 1500 ms.*ECONNREFUSED/);
    expectNoSecrets(result);
  });

  it('a bad Redis URL: exit 2 with one line naming the option, no TypeError, no password', async () => {
    const result = await run(
      ['batch', input, '-o', join(dir, 'd.jsonl'), '--redis', `redis://:${WRONG}@127.0.0.1:99999`],
      env,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('keymux batch:'))).toHaveLength(1);
    expect(result.stderr).toMatch(
      /KEYMUX_REDIS_URL: Expected a redis:\/\/.*URL, got `redis:\/\/…@127\.0\.0\.1:99999`/,
    );
    expect(result.stderr).not.toMatch(/TypeError/);
    expectNoSecrets(result);
  });

  it('batch and keys list with an invalid option beside KEYMUX_REDIS_URL: exit 2, and the process ends', async () => {
    const bad = {
      ...env,
      KEYMUX_REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`,
      KEYMUX_MAX_RETRIES: 'many',
    };
    const [batch, keys] = await Promise.all([
      run(['batch', input, '-o', join(dir, 'e.jsonl')], bad),
      run(['keys', 'list'], bad),
    ]);
    for (const result of [batch, keys]) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/KEYMUX_MAX_RETRIES/);
      expectNoSecrets(result);
    }
  });

  it('serve --redis with a wrong password: exit 2; with --redis-optional it serves and /readyz says why the store is degraded', async () => {
    const refused = await run(['serve', '--port', '0', '--redis', wrongUrl], env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/WRONGPASS/);
    expectNoSecrets(refused);

    const child = spawnCli(['serve', '--port', '0', '--redis', wrongUrl, '--redis-optional'], env);
    const done = collect(child);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /listening on (http:\/\/[^"\s]+)/.exec(seen);
          if (match?.[1]) resolve(match[1]);
        });
        child.on('exit', () => reject(new Error(`exited early: ${seen}`)));
      });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { store: { mode: string; reason: string } };
      expect(body.store.mode).toBe('degraded');
      expect(body.store.reason).toMatch(/WRONGPASS/);
      expect(JSON.stringify(body)).not.toContain(WRONG);
    } finally {
      child.kill('SIGTERM');
    }
    const served = await done;
    expect(served.stderr).toMatch(/running alone/);
    expectNoSecrets(served);
  });
});

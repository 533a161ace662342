import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { cleanEnv, collect, spawnCli } from '../cli/support/run-cli.js';
import { RedisServer } from '../support/redis-server.js';

const KEY = 'sk-emu-shared-0123456789abcdef';
const UNKNOWN = 'sk-emu-unknown-9876543210fedcba';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.stop());

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Served {
  readonly url: string;
  stop(): Promise<number | null>;
}

/** `keymux serve` in a process of its own; resolves once it listens. */
async function serve(args: readonly string[], env: Record<string, string>): Promise<Served> {
  const child: ChildProcess = spawnCli(
    ['serve', '--port', '0', '--drain-timeout', '1000', ...args],
    cleanEnv(env),
  );
  const done = collect(child);
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return (await done).code;
  };
  closers.push(async () => {
    await stop();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/[^"\s]+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`exited early: ${seen}`)));
  });
  return { url, stop };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary JSON answers
async function json(url: string): Promise<any> {
  return (await fetch(url)).json();
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function chat(url: string, signal: AbortSignal): Promise<number> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    signal,
  }).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
    () => 0, // still waiting for the key when the client gave up
  );
}

describe('keymux serve --redis', () => {
  it('two gateways on one Redis share a key’s limit: 3 requests a day between them, not 3 each', async () => {
    const emulator = await startEmulator({ keys: [{ key: KEY, name: 'shared' }] });
    closers.push(() => emulator.close());
    const env = {
      OPENAI_API_KEYS: KEY,
      OPENAI_BASE_URL: `${emulator.url}/v1`,
      OPENAI_MAX_REQUESTS_PER_DAY_0: '3',
      KEYMUX_REDIS_PREFIX: `serve-${Date.now()}`,
    };
    // One replica by the flag, the other by the environment.
    const [a, b] = await Promise.all([
      serve(['--redis', redis.url], env),
      serve([], { ...env, KEYMUX_REDIS_URL: redis.url }),
    ]);
    for (const gateway of [a, b])
      await until(
        async () => (await json(`${gateway.url}/admin/stats`)).store?.mode === 'redis',
        'the store to reach Redis',
      );
    const giveUp = AbortSignal.timeout(3000);
    const statuses = await Promise.all(
      [a, b].flatMap((gateway) => Array.from({ length: 4 }, () => chat(gateway.url, giveUp))),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 3 });
    expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
  }, 30_000);

  it('health checks run on their own, and GET /admin/keys shows each key’s last one', async () => {
    const emulator = await startEmulator({ keys: [{ key: KEY, name: 'good' }] });
    closers.push(() => emulator.close());
    const gateway = await serve(['--health-check-interval', '100'], {
      OPENAI_API_KEYS: `${KEY},${UNKNOWN}`,
      OPENAI_BASE_URL: `${emulator.url}/v1`,
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON
    let keys: any[] = [];
    await until(async () => {
      keys = (await json(`${gateway.url}/admin/keys`)).providers.openai.keys;
      return keys.every((k) => k.lastCheck !== null);
    }, 'both keys to be checked');
    expect(keys[0].lastCheck).toMatchObject({ ok: true, status: 200, state: 'healthy' });
    expect(keys[1].lastCheck).toMatchObject({ ok: false, status: 401, failureClass: 'auth' });
    expect(keys[1].state).toBe('unavailable');
    expect(JSON.stringify(keys)).not.toContain(UNKNOWN);
    expect(await gateway.stop()).toBe(0);
  }, 30_000);
});

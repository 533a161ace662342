import { spawn } from 'node:child_process';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/shared/redis-server.js';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { redisStoreFromUrl } from '../../src/store/redis-from-url.js';
import { redisStore } from '../../src/store/redis-store.js';
import type { StoreEvent, TakeRequest } from '../../src/store/store.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS } from './redis-clients.js';

const PASSWORD = 'correct-horse-0451';
const WRONG = 'wrong-staple-9f3e';

const take = (key: string): TakeRequest => ({
  provider: 'openai',
  key,
  scope: key,
  limits: [{ name: 'rpm', limit: 60, units: 1 }],
  probeTtlMs: 1000,
});

function recorded(store: { on(listener: (e: StoreEvent) => void): () => void }): StoreEvent[] {
  const events: StoreEvent[] = [];
  store.on((e) => events.push(e));
  return events;
}

let server: RedisServer;
let guarded: RedisServer;
beforeAll(async () => {
  [server, guarded] = await Promise.all([RedisServer.start(), RedisServer.start({ password: PASSWORD })]);
});
afterAll(async () => {
  await Promise.all([server.stop(), guarded.stop()]);
});

describe('a Redis store starting', () => {
  it('calls made before the client connects wait for Redis: taken there, no degraded/recovered pair', async () => {
    const prefix = `start-${Date.now()}`;
    const store = redisStoreFromUrl(server.url, { prefix, processes: 4 });
    const events = recorded(store);
    try {
      // Made and called in the same tick: the client has not connected, no script is loaded.
      const results = await Promise.all(['k1', 'k2', 'k3', 'k4'].map((k) => store.take(take(k))));
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
      expect(store.mode).toBe('redis');
      expect(events).toEqual([]);
      // Taken in Redis, where another process sees them (not on this process's local share).
      const peer = await CLIENT_KINDS[0]!.connect(server.url);
      try {
        const snap = await redisStore({ client: peer.client, prefix }).snapshot(
          { provider: 'openai', key: 'k1' },
          'k1',
        );
        expect(snap.limits.rpm?.aheadMs).toBeGreaterThan(0);
      } finally {
        await peer.quit();
      }
    } finally {
      store.close();
    }
  });

  it('a wrong password: degraded at once, the reason names WRONGPASS, the password appears nowhere', async () => {
    // An allowance far longer than the test: the start must end on the refusal, not on the allowance.
    const store = redisStoreFromUrl(`redis://:${WRONG}@127.0.0.1:${guarded.port}`, {
      startupTimeoutMs: 600_000,
    });
    const events = recorded(store);
    try {
      const readiness = await store.ready();
      expect(readiness.ok).toBe(false);
      const reason = readiness.ok ? '' : readiness.reason;
      expect(reason).toMatch(/refused the credentials.*WRONGPASS/);
      expect(events).toEqual([{ type: 'store-degraded', at: expect.any(Number), reason }]);
      expect(store.mode).toBe('degraded');
      expect((await store.take(take('k1'))).ok).toBe(true); // answered on the local share
      expect(inspect(events, { depth: 5 })).not.toContain(WRONG);
      expect(inspect(readiness)).not.toContain(WRONG);
    } finally {
      store.close();
    }
    // No password at all where one is required: NOAUTH, said as plainly.
    const bare = redisStoreFromUrl(guarded.url, { startupTimeoutMs: 600_000 });
    try {
      expect(await bare.ready()).toMatchObject({ ok: false, reason: expect.stringMatching(/NOAUTH/) });
    } finally {
      bare.close();
    }
  });

  it('a refused connection: falls back after the start allowance, the reason names the refusal', async () => {
    const port = await freePort(); // nothing listens there
    const store = redisStoreFromUrl(`redis://:${WRONG}@127.0.0.1:${port}`, { startupTimeoutMs: 300 });
    const events = recorded(store);
    try {
      const result = await store.take(take('k1'));
      expect(result.ok).toBe(true); // on the local share, after the allowance
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'store-degraded',
        reason: expect.stringMatching(/not ready within 300 ms.*refused the connection.*ECONNREFUSED/),
      });
      expect(inspect(events, { depth: 5 })).not.toContain(WRONG);
    } finally {
      store.close();
    }
  });

  it('a bad URL: a ConfigError naming the variable, no bare TypeError, the password in no field', () => {
    for (const url of [
      `redis://:${WRONG}@127.0.0.1:99999`,
      `redis://:${WRONG}@127.0.0.1:${server.port}/not-a-db`,
      `http://:${WRONG}@127.0.0.1:${server.port}`,
    ]) {
      let error: unknown;
      try {
        Multiplexer.fromEnv({ KEYMUX_REDIS_URL: url, OPENAI_API_KEYS: 'sk-test-0123456789abcdef' });
      } catch (caught) {
        error = caught;
      }
      expect(error, url).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('KEYMUX_REDIS_URL');
      // Every field, own and inherited, hidden or not (Node's URL error kept the whole URL in `input`).
      expect(inspect(error, { showHidden: true, depth: 10 })).not.toContain(WRONG);
      expect(JSON.stringify(error)).not.toContain(WRONG);
      expect((error as { cause?: unknown }).cause).toBeUndefined();
    }
  });

  it('an invalid option beside KEYMUX_REDIS_URL: a ConfigError, and the process still ends on its own', async () => {
    // A child process: a Redis client left open would keep it alive for good.
    const script = `
      import { Multiplexer } from './src/multiplexer.ts';
      const base = { KEYMUX_REDIS_URL: ${JSON.stringify(server.url)}, OPENAI_API_KEYS: 'sk-test-0123456789abcdef' };
      const cases = [
        [{ KEYMUX_MAX_RETRIES: 'many' }, {}], // the environment
        [{ KEYMUX_REDIS_PREFIX: 'a{b}' }, {}], // the store's own options
        [{}, { maxRetries: -1 }], // the options given beside it
      ];
      for (const [env, options] of cases) {
        try { Multiplexer.fromEnv({ ...base, ...env }, options); console.log('no error'); }
        catch (error) { console.log(error.name); }
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    // Only a hang detector: far longer than the child needs even on a loaded machine.
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect(signal, 'the process hung with a Redis client open').toBeNull();
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual(['ConfigError', 'ConfigError', 'ConfigError']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { cleanEnv, collect, runCli, spawnCli } from '../cli/support/run-cli.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const CANARY = 'sk-canary-serve-DO-NOT-LEAK-1234';

describe('keymux serve', () => {
  it('on SIGTERM: stops accepting, finishes the stream in flight, exits 0; the key is in no log line', async () => {
    const emulator = await startEmulator({
      keys: [{ key: CANARY, name: 'canary' }],
      latency: { kind: 'per-token', firstTokenMs: 5, perTokenMs: 40 },
      outputTokens: { min: 20, max: 20 },
    });
    closers.push(() => emulator.close());
    const child = spawnCli(
      ['serve', '--port', '0', '--drain-timeout', '10000'],
      cleanEnv({ OPENAI_API_KEYS: CANARY, OPENAI_BASE_URL: `${emulator.url}/v1` }),
    );
    const done = collect(child);
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /listening on (http:\/\/[^"\s]+)/.exec(seen);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', () => reject(new Error(`exited early: ${seen}`)));
    });
    // A client's mistake (the provider's 400) is the client's business: logged at debug, not at info.
    const refused = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(refused.status).toBe(400);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader?.read())?.value);
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('draining');
    expect(result.stderr).toContain('no gateway tokens');
    // keymux serve checks its keys every minute unless told otherwise (the library never does).
    expect(result.stderr).toContain('"healthCheckIntervalMs":60000');
    // The banner: where, which providers with how many keys, the dashboard.
    expect(result.stderr).toContain(`listening on ${url} with openai (1 key); dashboard at ${url}/`);
    expect(result.stderr).not.toContain('keymux failure');
    expect(result.stderr).not.toContain('refused a request');
    expect(`${result.stdout}${result.stderr}`).not.toContain(CANARY);
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 1, 400: 1 });
  }, 30_000);

  it('rejects a --redis that is no Redis URL, and refuses to start without keys, saying where keys go', async () => {
    const [redis, none, level] = await Promise.all([
      runCli(['serve', '--redis', 'http://127.0.0.1:6379'], cleanEnv({ OPENAI_API_KEYS: CANARY })),
      runCli(['serve', '--port', '0'], cleanEnv({})),
      runCli(['serve', '--log-level', 'loud'], cleanEnv({ OPENAI_API_KEYS: CANARY })),
    ]);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('debug, info, warn, error');
    expect(redis.code).toBe(2);
    expect(redis.stderr).toContain('redis://');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no keys found');
    expect(`${redis.stderr}${none.stderr}`).not.toContain(CANARY);
  }, 30_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreTimeoutError, withDeadline } from '../../src/store/deadline.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

let server: RedisServer;
let client: TestClient;
beforeAll(async () => {
  server = await RedisServer.start();
  client = await (CLIENT_KINDS[0]?.connect(server.url) ?? Promise.reject(new Error('no client kind')));
});
afterAll(async () => {
  await client.quit();
  await server.stop();
});

/** Keeps this process busy, as a long synchronous task or a loaded machine does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('withDeadline', () => {
  it('counts an answer that arrived while this process was busy past the deadline', async () => {
    const call = withDeadline(client.command(['PING']), 20);
    // Redis answers within the second; this process reads it only afterwards, when its timer is also due.
    busy(1000);
    await expect(call).resolves.toBe('PONG');
  });

  it('rejects when no answer comes', async () => {
    server.pause();
    try {
      await expect(withDeadline(client.command(['PING']), 50)).rejects.toBeInstanceOf(StoreTimeoutError);
    } finally {
      server.resume();
    }
  });
});

import { once } from 'node:events';
import { connect } from 'node:net';
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
    // A raw socket, so the command surely leaves before the busy spell (a client may write on a later
    // tick, and then no answer could be waiting, whatever the machine's speed).
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await once(socket, 'connect');
    try {
      const reply = new Promise<string>((resolve) => socket.once('data', (data) => resolve(String(data))));
      const call = withDeadline(reply, 20);
      socket.write('PING\r\n');
      // Redis (another process) answers within the second; this process reads it only afterwards, when
      // its timer is also due.
      busy(1000);
      await expect(call).resolves.toBe('+PONG\r\n');
    } finally {
      socket.destroy();
    }
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

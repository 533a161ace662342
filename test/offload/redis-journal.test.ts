import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../../src/store/redis-store.js';
import { CLIENT_KINDS, type TestClient } from '../store/redis-clients.js';
import { ManualClock } from '../support/manual-clock.js';
import { RedisServer } from '../support/redis-server.js';
import { closers, restartCollects } from './offload-harness.js';

let server: RedisServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
});

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('batch offload journal in Redis', () => {
  for (const kind of CLIENT_KINDS) {
    it(`${kind.name}: a restarted process collects its batch from the shared store, without resubmitting`, async () => {
      const client = await kind.connect(server.url);
      clients.push(client);
      const store = redisStore({
        client: client.client,
        prefix: `offload-${kind.name}`,
        clock: new ManualClock(),
      });
      await restartCollects(store.offloadJournal);
      const left = await client.command(['HLEN', `keymux:{offload-${kind.name}:offload}:ids`]);
      expect(left).toBe(0);
    });
  }
});

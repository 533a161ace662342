import type { RedisClientLike } from '../../src/store/redis-client.js';

/** A connected client of one library, with a raw command for the test's own checks. */
export interface TestClient {
  readonly client: RedisClientLike;
  command(args: string[]): Promise<unknown>;
  quit(): Promise<void>;
}

export interface ClientKind {
  readonly name: 'node-redis' | 'ioredis';
  connect(url: string): Promise<TestClient>;
}

// Both without an offline queue, as the store's docs advise: a call while Redis is away fails at once.
export const CLIENT_KINDS: readonly ClientKind[] = [
  {
    name: 'node-redis',
    async connect(url) {
      // Loaded when used: a forked test process (support/budget-process.ts) loads one library, not both.
      const { createClient } = await import('redis');
      const client = createClient({
        url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: () => 50 },
      });
      client.on('error', () => undefined);
      await client.connect();
      return {
        client,
        command: (args) => client.sendCommand(args),
        quit: async () => {
          client.destroy();
        },
      };
    },
  },
  {
    name: 'ioredis',
    async connect(url) {
      const { Redis } = await import('ioredis');
      const client = new Redis(url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 50,
        lazyConnect: true,
      });
      client.on('error', () => undefined);
      await client.connect();
      return {
        client,
        command: ([name = '', ...args]) => client.call(name, ...args),
        quit: async () => {
          client.disconnect();
        },
      };
    },
  },
];

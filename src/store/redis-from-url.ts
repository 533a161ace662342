import { createRequire } from 'node:module';
import { ConfigError } from '../core/errors.js';
import type { RedisClientLike } from './redis-client.js';
import { type RedisStore, redisStore } from './redis-store.js';
import type { RedisStoreOptions } from './redis-store-options.js';

const require = createRequire(import.meta.url);

interface NodeRedisModule {
  createClient(options: object): RedisClientLike & {
    connect(): Promise<unknown>;
    on(event: 'error', listener: () => void): unknown;
    destroy(): void;
  };
}

interface IoRedisModule {
  Redis: new (
    url: string,
    options: object,
  ) => RedisClientLike & { on(event: 'error', listener: () => void): unknown; disconnect(): void };
}

/**
 * A Redis store on a client keymux makes from a URL (`KEYMUX_REDIS_URL`, `--redis`), with whichever of
 * `redis` or `ioredis` is installed. It connects in the background (start-up never waits for Redis; the
 * store answers locally until Redis answers) and its client closes with the store.
 */
export function redisStoreFromUrl(url: string, options: Omit<RedisStoreOptions, 'client'> = {}): RedisStore {
  if (!/^rediss?:\/\//.test(url)) {
    throw new ConfigError(
      'redis',
      `Expected a redis:// or rediss:// URL, got \`${url.replace(/\/\/[^@/]*@/, '//…@')}\``,
    );
  }
  const made = makeClient(url);
  return redisStore({ ...options, client: made.client, onClose: made.close });
}

function makeClient(url: string): { client: RedisClientLike; close: () => void } {
  // No offline queue: a call while Redis is away fails at once and is answered locally, never run late.
  const nodeRedis = load<NodeRedisModule>('redis');
  if (nodeRedis) {
    const client = nodeRedis.createClient({ url, disableOfflineQueue: true });
    client.on('error', () => undefined); // the store reports outages as store-degraded
    client.connect().catch(() => undefined);
    return { client, close: () => client.destroy() };
  }
  const ioredis = load<IoRedisModule>('ioredis');
  if (ioredis) {
    const client = new ioredis.Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    return { client, close: () => client.disconnect() };
  }
  throw new ConfigError('redis', 'a Redis URL needs a client: npm install redis (or ioredis)');
}

function load<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}

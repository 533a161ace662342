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
  ) => RedisClientLike & {
    on(event: 'error', listener: () => void): unknown;
    once(event: 'ready', listener: () => void): unknown;
    disconnect(): void;
  };
}

/**
 * A Redis store on a client keymux makes from a URL (`KEYMUX_REDIS_URL`, `--redis`), with whichever of
 * `redis` or `ioredis` is installed. It connects in the background (start-up never waits for Redis; the
 * store answers locally until Redis answers) and its client closes with the store.
 */
export function redisStoreFromUrl(url: string, options: Omit<RedisStoreOptions, 'client'> = {}): RedisStore {
  return fromUrl(url, options).store;
}

/**
 * The same, resolved once the client is connected (or after `waitMs` without it, as a store that answers
 * locally until Redis does): for runs that must start on Redis, such as the bench's processes.
 */
export async function connectedRedisStore(
  url: string,
  options: Omit<RedisStoreOptions, 'client'> = {},
  waitMs = 5000,
): Promise<RedisStore> {
  const { store, connected } = fromUrl(url, options);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connected,
    new Promise((resolve) => {
      timer = setTimeout(resolve, waitMs);
    }),
  ]);
  clearTimeout(timer);
  return store;
}

function fromUrl(url: string, options: Omit<RedisStoreOptions, 'client'>) {
  if (!/^rediss?:\/\//.test(url)) {
    throw new ConfigError(
      'redis',
      `Expected a redis:// or rediss:// URL, got \`${url.replace(/\/\/[^@/]*@/, '//…@')}\``,
    );
  }
  const made = makeClient(url);
  return {
    store: redisStore({ ...options, client: made.client, onClose: made.close }),
    connected: made.connected,
  };
}

interface MadeClient {
  readonly client: RedisClientLike;
  readonly close: () => void;
  /** Settles when the client first connects, or fails to (never rejects). */
  readonly connected: Promise<void>;
}

function makeClient(url: string): MadeClient {
  // No offline queue: a call while Redis is away fails at once and is answered locally, never run late.
  const nodeRedis = load<NodeRedisModule>('redis');
  if (nodeRedis) {
    const client = nodeRedis.createClient({ url, disableOfflineQueue: true });
    client.on('error', () => undefined); // the store reports outages as store-degraded
    const connected = client.connect().then(
      () => undefined,
      () => undefined,
    );
    return { client, close: () => client.destroy(), connected };
  }
  const ioredis = load<IoRedisModule>('ioredis');
  if (ioredis) {
    const client = new ioredis.Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    const connected = new Promise<void>((resolve) => {
      client.once('ready', () => resolve());
    });
    return { client, close: () => client.disconnect(), connected };
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

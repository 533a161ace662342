import { createRequire } from 'node:module';
import { ConfigError } from '../core/errors.js';
import type { RedisClientLike } from './redis-client.js';
import { redactRedisUrl } from './redis-fault.js';
import { type RedisStore, redisStore } from './redis-store.js';
import { type RedisStoreOptions, resolveRedisStoreOptions } from './redis-store-options.js';

const require = createRequire(import.meta.url);

interface NodeRedisModule {
  createClient(options: object): RedisClientLike & {
    connect(): Promise<unknown>;
    on(event: 'error', listener: (error: unknown) => void): unknown;
    destroy(): void;
  };
}

interface IoRedisModule {
  Redis: new (
    url: string,
    options: object,
  ) => RedisClientLike & {
    on(event: 'error', listener: (error: unknown) => void): unknown;
    connect(): Promise<unknown>;
    disconnect(): void;
  };
}

/**
 * A Redis store on a client keymux makes from a URL (`KEYMUX_REDIS_URL`, `--redis`), with whichever of
 * `redis` or `ioredis` is installed. The client connects when the store starts (its first call, or
 * `ready()`), which waits for it within `startupTimeoutMs`. Its client closes with the store. A URL that cannot
 * be parsed is a `ConfigError` naming `field`, which never shows the URL's password.
 */
export function redisStoreFromUrl(
  url: string,
  options: Omit<RedisStoreOptions, 'client'> = {},
  field = 'redis',
): RedisStore {
  const parsed = parseRedisUrl(url, field);
  // Every option is checked before the client exists: a bad one must not leave a connection open.
  const resolved = resolveRedisStoreOptions({ ...options, client: SHAPE_ONLY });
  const made = makeClient(url, parsed.password, field, reconnectDelay(resolved.recoverAfterMs));
  try {
    return redisStore({
      ...options,
      client: made.client,
      onStart: made.connect,
      onClose: made.close,
      clientError: made.lastError,
    });
  } catch (error) {
    made.close();
    throw error;
  }
}

/** A client's shape for checking options alone: never called. */
const SHAPE_ONLY = { evalsha: async () => [], eval: async () => [] } as unknown as RedisClientLike;

function parseRedisUrl(url: string, field: string): { password: string } {
  const shown = redactRedisUrl(url);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: URL's own error holds the whole URL, password included, in its `input` field.
    throw new ConfigError(field, `Expected a redis://[user:password@]host:port URL, got \`${shown}\``);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new ConfigError(field, `Expected a redis:// or rediss:// URL, got \`${shown}\``);
  if (parsed.hostname === '')
    throw new ConfigError(field, `Expected a host in the Redis URL, got \`${shown}\``);
  if (!/^\/?\d*$/.test(parsed.pathname))
    throw new ConfigError(field, `Expected a database number after the host (/0), got \`${shown}\``);
  return { password: decodeURIComponent(parsed.password) };
}

interface MadeClient {
  readonly client: RedisClientLike;
  /** Connects, once: on the store's start, so a store made and dropped (bad options) never opens a socket. */
  readonly connect: () => void;
  readonly close: () => void;
  /** The client's last connection error, its message without the password. */
  readonly lastError: () => unknown;
}

/**
 * How long the client waits before its `retries`-th reconnect: doubling from 50 ms up to a quarter of
 * `recoverAfterMs`. The clients' own defaults grow to 2 s (node-redis) and would bring the processes back
 * from a long outage one by one over seconds, past the hand-over every process must be back for.
 */
export function reconnectDelay(recoverAfterMs: number): (retries: number) => number {
  const cap = Math.max(50, Math.floor(recoverAfterMs / 4));
  return (retries) => Math.min(cap, 50 * 2 ** Math.min(Math.max(0, retries), 10));
}

function makeClient(
  url: string,
  password: string,
  field: string,
  retryIn: (retries: number) => number,
): MadeClient {
  let last: Error | undefined;
  // No offline queue: a call while Redis is away fails at once and is answered locally, never run late.
  const nodeRedis = load<NodeRedisModule>('redis');
  if (nodeRedis) {
    const client = guard(
      () =>
        nodeRedis.createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: retryIn } }),
      url,
      field,
    );
    let state: 'idle' | 'connecting' | 'settled' = 'idle';
    let closed = false;
    const destroy = (): void => {
      try {
        client.destroy();
      } catch {
        // Already closed.
      }
    };
    // The store reports outages (store-degraded, with this error's words); the client's own are kept here.
    client.on('error', (error) => {
      last = scrubbed(error, password);
      // Between two tries a destroy holds; during one, node-redis would open the socket after it.
      if (closed) destroy();
    });
    return {
      client,
      connect: () => {
        if (state !== 'idle' || closed) return;
        state = 'connecting';
        client.connect().then(
          () => {
            state = 'settled';
            if (closed) destroy();
          },
          (error: unknown) => {
            state = 'settled';
            last = scrubbed(error, password);
          },
        );
      },
      close: () => {
        closed = true;
        if (state !== 'connecting') destroy();
      },
      lastError: () => last,
    };
  }
  const ioredis = load<IoRedisModule>('ioredis');
  if (ioredis) {
    const client = guard(
      () =>
        new ioredis.Redis(url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          lazyConnect: true,
          retryStrategy: (times: number) => retryIn(times - 1),
        }),
      url,
      field,
    );
    client.on('error', (error) => {
      last = scrubbed(error, password);
    });
    let connecting = false;
    return {
      client,
      connect: () => {
        if (connecting) return;
        connecting = true;
        client.connect().catch((error: unknown) => {
          last = scrubbed(error, password);
        });
      },
      close: () => client.disconnect(),
      lastError: () => last,
    };
  }
  throw new ConfigError(field, 'a Redis URL needs a client: npm install redis (or ioredis)');
}

/** A client library's own complaint about the URL, without the URL (or its password) in any field. */
function guard<T>(make: () => T, url: string, field: string): T {
  try {
    return make();
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid';
    throw new ConfigError(
      field,
      `${reason.split(url).join('…')} in the Redis URL \`${redactRedisUrl(url)}\``,
    );
  }
}

function scrubbed(error: unknown, password: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const out = new Error(password ? message.split(password).join('…') : message);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') Object.assign(out, { code });
  return out;
}
function load<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}

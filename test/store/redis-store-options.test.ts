import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import type { RedisClientLike } from '../../src/store/redis-client.js';
import { redisStore } from '../../src/store/redis-store.js';
import { resolveRedisStoreOptions } from '../../src/store/redis-store-options.js';

// Shape only: option validation never sends a command.
const client = { evalsha: async () => [], eval: async () => [] } as unknown as RedisClientLike;

describe('redisStore options', () => {
  it('defaults: prefix keymux, 150 ms deadline, whole limit as local share for one process', () => {
    const resolved = resolveRedisStoreOptions({ client });
    expect(resolved).toMatchObject({
      prefix: 'keymux',
      timeoutMs: 150,
      localShare: 1,
      failureThreshold: 2,
      recoverAfterMs: 1000,
    });
    expect(resolveRedisStoreOptions({ client, processes: 4 }).localShare).toBe(0.25);
    expect(resolveRedisStoreOptions({ client, processes: 4, localShare: 0.5 }).localShare).toBe(0.5);
  });

  it.each([
    [{ client: {} }, 'store.client'],
    [{ client, prefix: 'a{b}' }, 'store.prefix'],
    [{ client, processes: 0 }, 'store.processes'],
    [{ client, localShare: 0 }, 'store.localShare'],
    [{ client, localShare: 2 }, 'store.localShare'],
    [{ client, timeoutMs: 0 }, 'store.timeoutMs'],
  ])('rejects %o naming %s', (options, path) => {
    expect(() => redisStore(options as never)).toThrow(ConfigError);
    expect(() => redisStore(options as never)).toThrow(path);
  });

  it('starts in redis mode without sending anything', () => {
    let calls = 0;
    const counting = {
      evalsha: async () => {
        calls += 1;
        return [];
      },
      eval: async () => [],
    } as unknown as RedisClientLike;
    expect(redisStore({ client: counting }).mode).toBe('redis');
    expect(calls).toBe(0);
  });
});

import type { Clock } from '../../../src/core/clock.js';
import { Multiplexer } from '../../../src/multiplexer.js';
import type { BudgetOptions } from '../../../src/spend/budget-config.js';
import type { RedisClientLike } from '../../../src/store/redis-client.js';
import { redisStore } from '../../../src/store/redis-store.js';
import type { RedisStoreOptions } from '../../../src/store/redis-store-options.js';
import { fakeAdapter } from '../../support/fake-provider.js';
import { CLIENT_KINDS, type TestClient } from '../redis-clients.js';

/** What a test may change of a budget "process": its budgets, clock, slices, and a wrapper round its client. */
export interface BudgetMuxOptions {
  readonly budgets?: readonly BudgetOptions[];
  readonly clock?: Clock;
  readonly slices?: RedisStoreOptions['budgetSlices'];
  /** Wraps the connection's client (to count the scripts it runs). */
  readonly wrap?: (client: RedisClientLike) => RedisClientLike;
}

/**
 * One "process" of the shared-budget tests: its own Redis connection (node-redis or ioredis, by index),
 * a multiplexer on it under `prefix` with one token budget `shared` (or `options.budgets`), and one key
 * of its own with limits no test reaches.
 */
export async function budgetMux(
  url: string,
  prefix: string,
  index: number,
  tokens: number,
  options: BudgetMuxOptions = {},
): Promise<{ readonly mux: Multiplexer; readonly client: TestClient }> {
  const kind = CLIENT_KINDS[index % CLIENT_KINDS.length];
  if (!kind) throw new Error('no client kind');
  const client = await kind.connect(url);
  const store = redisStore({
    client: options.wrap ? options.wrap(client.client) : client.client,
    prefix,
    timeoutMs: 2000,
    ...(options.slices === undefined ? {} : { budgetSlices: options.slices }),
  });
  const budgets = options.budgets ?? [{ name: 'shared', tokens, period: 'day' }];
  const mux = new Multiplexer({ store, budgets, ...(options.clock ? { clock: options.clock } : {}) });
  mux.registerProvider(fakeAdapter());
  mux.addKey('fake', {
    name: `k${index}`,
    apiKey: `secret-k${index}-0123456789`,
    maxConcurrentRequests: 200,
    queueSize: 1000,
    limits: { rpm: 1_000_000_000 },
  });
  return { mux, client };
}

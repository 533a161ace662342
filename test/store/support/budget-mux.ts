import { Multiplexer } from '../../../src/multiplexer.js';
import { redisStore } from '../../../src/store/redis-store.js';
import { fakeAdapter } from '../../support/fake-provider.js';
import { CLIENT_KINDS, type TestClient } from '../redis-clients.js';

/**
 * One "process" of the shared-budget tests: its own Redis connection (node-redis or ioredis, by index),
 * a multiplexer on it under `prefix` with one token budget `shared`, and one key of its own.
 */
export async function budgetMux(
  url: string,
  prefix: string,
  index: number,
  tokens: number,
): Promise<{ readonly mux: Multiplexer; readonly client: TestClient }> {
  const kind = CLIENT_KINDS[index % CLIENT_KINDS.length];
  if (!kind) throw new Error('no client kind');
  const client = await kind.connect(url);
  const store = redisStore({ client: client.client, prefix, timeoutMs: 2000 });
  const mux = new Multiplexer({ store, budgets: [{ name: 'shared', tokens, period: 'day' }] });
  mux.registerProvider(fakeAdapter());
  mux.addKey('fake', {
    name: `k${index}`,
    apiKey: `secret-k${index}-0123456789`,
    maxConcurrentRequests: 200,
    queueSize: 1000,
    limits: { rpm: 1_000_000 },
  });
  return { mux, client };
}

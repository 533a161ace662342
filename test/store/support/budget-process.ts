/**
 * One OS process of test/store/shared-budgets.test.ts, forked by it (bundled once with esbuild): a
 * multiplexer with its own Redis connection (argv: url, prefix, index, calls, budget tokens), one key of
 * its own and one shared token budget. It says `ready` once connected, waits for `go`, then runs all its
 * calls at once, each reserving 10 tokens and spending 10, and reports what ran and what was refused.
 */
import { BudgetExceededError } from '../../../src/core/errors.js';
import { Multiplexer } from '../../../src/multiplexer.js';
import { redisStore } from '../../../src/store/redis-store.js';
import { fakeAdapter } from '../../support/fake-provider.js';
import { CLIENT_KINDS } from '../redis-clients.js';

export interface BudgetProcessReport {
  readonly ran: number;
  readonly refused: number;
  /** Rejections that were not a BudgetExceededError: a test failure. */
  readonly other: readonly string[];
}

const [url = '', prefix = '', index = '0', calls = '100', tokens = '1000'] = process.argv.slice(2);
const send = (message: unknown): void => {
  process.send?.(message);
};

const i = Number(index);
const kind = CLIENT_KINDS[i % CLIENT_KINDS.length];
if (!kind) throw new Error('no client kind');
const client = await kind.connect(url);
const store = redisStore({ client: client.client, prefix, timeoutMs: 2000 });
const mux = new Multiplexer({ store, budgets: [{ name: 'shared', tokens: Number(tokens), period: 'day' }] });
mux.registerProvider(fakeAdapter());
mux.addKey('fake', {
  name: `k${i}`,
  apiKey: `secret-k${i}-0123456789`,
  maxConcurrentRequests: 200,
  queueSize: 1000,
  limits: { rpm: 1_000_000 },
});

await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  send('ready');
});
let ran = 0;
const results = await Promise.allSettled(
  Array.from({ length: Number(calls) }, () =>
    mux.execute(
      'fake',
      async (_client, ctx) => {
        ran++;
        await new Promise((resolve) => setImmediate(resolve));
        ctx.reportUsage({ inputTokens: 3, outputTokens: 7 });
      },
      { tokens: 10 },
    ),
  ),
);
const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
const report: BudgetProcessReport = {
  ran,
  refused: rejected.filter((e) => e instanceof BudgetExceededError).length,
  other: rejected.filter((e) => !(e instanceof BudgetExceededError)).map(String),
};
await mux.close();
await client.quit();
send(report);
process.disconnect?.();

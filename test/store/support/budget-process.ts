/**
 * One OS process of test/store/shared-budgets.test.ts, forked by it (bundled once with esbuild): a
 * multiplexer with its own Redis connection (argv: url, prefix, index, calls, budget tokens), one key of
 * its own and one shared token budget. It says `ready` once connected, waits for `go`, then runs all its
 * calls at once, each reserving 10 tokens and spending 10, and reports what ran and what was refused.
 */
import { BudgetExceededError } from '../../../src/core/errors.js';
import { budgetMux } from './budget-mux.js';

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

const { mux, client } = await budgetMux(url, prefix, Number(index), Number(tokens));

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

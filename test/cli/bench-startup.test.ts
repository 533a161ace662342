import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/cli/bench/bench-result.js';
import { RedisServer } from '../support/redis-server.js';
import { tempDir } from './support/batch-files.js';
import { runCli } from './support/run-cli.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.stop());

/**
 * The issue's case: N processes start at the same instant, each with its jobs queued before its Redis
 * client has connected (`bench --processes` makes each store on `go`), against keys that take 2 requests
 * at once (the strict emulator). Connecting and loading scripts on a loaded machine take longer than a
 * call's deadline; a store that took that for an outage paced alone from the first second, and the
 * processes' first requests met at the provider.
 */
describe.each([4, 8])('%i processes starting together on one Redis', (processes) => {
  it('send nothing before Redis answers: no 429, no store gone local at start, every job answered once', async () => {
    const json = join(tempDir(), `startup-${processes}.json`);
    const result = await runCli([
      'bench',
      ...['--processes', String(processes), '--redis', redis.url, '--no-baselines', '--arrival', 'batch'],
      // A send every 500 ms per key: far apart enough that a loaded machine's lag alone cannot bunch three
      // of them, near enough that N processes sending their first requests on their own certainly do.
      ...['--strict', '--keys', '3', '--rpm', '120', '--tpm', '600000', '--latency', '20-40'],
      ...['--jobs', String(processes * 2), '--no-progress', '--json', json],
    ]);
    expect(result.code, result.stderr).toBe(0);
    const bench = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    const [group] = bench.processGroups ?? [];
    expect(group).toMatchObject({ store: 'redis', processes, jobsUnsettled: 0, jobsDuplicated: 0 });
    // No store went local for its start: not for a client still connecting ("offline"), nor for a start
    // past its allowance. (A process starved of CPU for two calls in a row, on a machine this busy, may
    // go local for a moment: its reason is a missed deadline, and that is all that is allowed.)
    for (const reason of group?.storeEvents.reasons ?? [])
      expect(reason).toMatch(/^redis did not answer within/);
    const all = bench.runs.find((r) => r.name === group?.runs.at(-1));
    expect(all).toMatchObject({ jobsSucceeded: processes * 2, jobsFailed: 0 });
    // 0 in every run on a machine with cores to spare. At a load of 10 and more on two cores, the
    // emulator's own process (the bench's parent) can stall half a second and then take three queued
    // requests at one instant: at most one 429 per key is allowed for that, the bound for benches.
    expect(group?.maxLimitedPerKey).toBeLessThanOrEqual(1);
  }, 120_000);
});

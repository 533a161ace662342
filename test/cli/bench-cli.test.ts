import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/cli/bench/bench-result.js';
import type { FallbackBenchResult } from '../../src/cli/bench/fallback-bench.js';
import { RedisServer } from '../support/redis-server.js';
import { tempDir } from './support/batch-files.js';
import { runCli } from './support/run-cli.js';

describe('keymux bench (child process, embedded emulator)', () => {
  it('writes a JSON result with the three kinds of run and the capacity figure, and an HTML report', async () => {
    const dir = tempDir();
    const json = join(dir, 'bench.json');
    const report = join(dir, 'bench.html');
    // A tiny, fast workload: 3 keys at 1 200 rpm, 10–30 ms latency, a 1 s budget for the single key.
    const result = await runCli([
      'bench',
      '--keys',
      '3',
      '--rpm',
      '1200',
      '--tpm',
      '120000',
      '--latency',
      '10-30',
      '--jobs',
      '60',
      '--single-key-seconds',
      '1',
      '--burst-seconds',
      '60',
      '--strategies',
      'least-loaded,round-robin',
      '--json',
      json,
      '--report',
      report,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const bench = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    expect(bench.runs.map((r) => r.kind)).toEqual(['single-key', 'naive-rotation', 'keymux', 'keymux']);
    expect(bench.runs.map((r) => r.strategy)).toEqual([null, null, 'least-loaded', 'round-robin']);
    expect(bench.capacity.rps).toBeCloseTo(60, 5);
    expect(bench.capacity.perKey[0]?.binding).toBe('rpm');
    for (const run of bench.runs.filter((r) => r.kind !== 'single-key')) {
      expect(run.jobsSucceeded + run.jobsFailed).toBe(60);
      expect(run.perKey).toHaveLength(3);
    }
    expect(bench.runs[2]).toMatchObject({ jobsFailed: 0, upstream429: 0 });
    expect(result.stdout).toContain('goodput');
    expect(readFileSync(report, 'utf8')).toContain('<svg');
  }, 120_000);

  it('--fallback: a primary out of quota mid-run, no job failed, every later job served by the fallback', async () => {
    const json = join(tempDir(), 'fallback.json');
    const flags = [
      '--jobs',
      '40',
      '--quota-at-ms',
      '150',
      '--latency',
      '20',
      '--rpm',
      '6000',
      '--json',
      json,
    ];
    const result = await runCli(['bench', '--fallback', ...flags]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('exhaustion → first fallback sent');
    const bench = JSON.parse(readFileSync(json, 'utf8')) as FallbackBenchResult;
    expect(bench.failed).toBe(0);
    expect(bench.servedByPrimary + bench.servedByFallback).toBe(40);
    expect(bench.servedByFallback).toBeGreaterThan(0);
    expect(bench.fallbacks['quota-exhausted']).toBeGreaterThan(0);
  }, 60_000);

  it('has --help, and exits 2 with one line on a bad value', async () => {
    const [help, bad, unknown] = await Promise.all([
      runCli(['bench', '--help']),
      runCli(['bench', '--keys', 'many']),
      runCli(['bench', '--strategies', 'fastest']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--strategies <list>');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Expected one of');
  });

  it('runs N processes on the same keys, through Redis and alone, and accounts for every job', async () => {
    const redis = await RedisServer.start();
    try {
      const dir = tempDir();
      const json = join(dir, 'processes.json');
      const result = await runCli([
        'bench',
        '--processes',
        '2',
        '--redis',
        redis.url,
        '--keys',
        '2',
        '--rpm',
        '1200',
        '--tpm',
        '120000',
        '--latency',
        '10-30',
        '--jobs',
        '40',
        '--strict',
        '--json',
        json,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const bench = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
      expect(bench.processGroups?.map((g) => [g.store, g.processes])).toEqual([
        ['redis', 2],
        ['memory', 2],
      ]);
      for (const group of bench.processGroups ?? []) {
        expect(group).toMatchObject({ jobsUnsettled: 0, jobsDuplicated: 0 });
        const rows = group.runs.map((name) => bench.runs.find((r) => r.name === name));
        // One row per process with its half of the jobs, then all of them together.
        expect(rows.map((r) => r?.jobsPlanned)).toEqual([20, 20, 40]);
        expect(rows.map((r) => (r?.jobsSucceeded ?? 0) + (r?.jobsFailed ?? 0))).toEqual([20, 20, 40]);
      }
      expect(result.stdout).toContain('processes on one set of keys');
    } finally {
      await redis.stop();
    }
  }, 120_000);

  it('refuses --processes without a Redis to share, with exit code 2', async () => {
    const result = await runCli(['bench', '--processes', '2', '--jobs', '10']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--redis');
  });
});

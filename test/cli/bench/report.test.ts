import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../src/cli/bench/bench-result.js';
import { renderBenchTables } from '../../../src/cli/bench/bench-table.js';
import { theoreticalCapacity } from '../../../src/cli/bench/capacity.js';
import { renderHtmlReport } from '../../../src/cli/bench/html-report.js';
import { RunRecorder } from '../../../src/cli/bench/run-recorder.js';
import { summarizeRun } from '../../../src/cli/bench/summarize-run.js';

function fakeRun(): RunRecorder {
  let t = 0;
  const recorder = new RunRecorder(() => t);
  recorder.start();
  for (let i = 0; i < 10; i++) {
    t = i * 500;
    const started = recorder.jobStarted();
    recorder.attempt(i % 2 ? 'key-0' : 'key-1', i === 3 ? 429 : 200);
    t += 200;
    recorder.jobEnded(
      started,
      i === 3
        ? { ok: false, failure: 'RateLimitError 429' }
        : {
            ok: true,
            key: i % 2 ? 'key-0' : 'key-1',
            usage: { inputTokens: 1_000_000, outputTokens: 100_000 },
          },
    );
  }
  recorder.finish();
  return recorder;
}

describe('summarizeRun and the reports', () => {
  const meta = {
    name: 'keymux least-loaded',
    kind: 'keymux',
    strategy: 'least-loaded',
    limits: 'configured',
    keyNames: ['key-0', 'key-1'],
    jobsPlanned: 10,
    stoppedBy: 'done',
    capacityRps: 4,
    model: 'gpt-4o-mini',
  } as const;
  const run = summarizeRun(fakeRun(), meta);

  it('counts jobs, failures, 429s, per-key shares and a timeline', () => {
    expect(run).toMatchObject({
      jobsSucceeded: 9,
      jobsFailed: 1,
      upstream429: 1,
      requests: 10,
      retries: 0,
      wallMs: 4700,
    });
    expect(run.failures).toEqual({ 'RateLimitError 429': 1 });
    expect(run.perKey).toEqual([
      { key: 'key-0', succeeded: 4, requests: 5, limited: 1 },
      { key: 'key-1', succeeded: 5, requests: 5, limited: 0 },
    ]);
    expect(run.timeline.perKey['key-0']?.reduce((a, b) => a + b, 0)).toBe(4);
    expect(run.goodputPercent).toBeCloseTo((9 / 4.7 / 4) * 100, 0);
  });

  it("costs the answers' usage at the price table: 9 answers of 1M prompt and 100k output tokens of gpt-4o-mini", () => {
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    expect(run.cost.calls).toBe(9);
    expect(run.cost.usd).toBeCloseTo(9 * (0.15 + 0.06), 9);
    expect(renderBenchTables({ ...result, runs: [run] })).toContain('$1.890000');
  });

  it('a model without a price leaves the cost unknown, never 0', () => {
    const unpriced = summarizeRun(fakeRun(), { ...meta, model: 'emu-unpriced' });
    expect(unpriced.cost).toEqual({ model: 'emu-unpriced', usd: null, calls: 9 });
    expect(renderBenchTables({ ...result, runs: [unpriced] })).toContain('has no price');
  });

  const result: BenchResult = {
    version: 1,
    generatedAt: '2025-01-01T00:00:00.000Z',
    command: 'keymux bench',
    settings: {
      provider: 'openai',
      target: 'emulator',
      keys: 2,
      rpm: 600,
      tpm: 60_000,
      latencyMs: { min: 100, max: 300 },
      jobs: 10,
      concurrency: 10,
      maxConcurrentPerKey: [5],
      singleKeyBudgetMs: 1000,
      seed: 1,
      strategies: ['least-loaded'],
    },
    capacity: theoreticalCapacity([{ rpm: 120 }, { rpm: 120 }], 50, 200),
    runs: [run],
    notes: ['a <note>'],
  };

  it('renders a text table with one row per run and a per-key distribution', () => {
    const text = renderBenchTables(result);
    expect(text).toContain('keymux least-loaded');
    expect(text).toMatch(/key-0\s+4 \(1\)/);
  });

  it('renders a self-contained HTML page with inline SVG charts and escaped text', () => {
    const html = renderHtmlReport(result);
    expect(html).toContain('<svg');
    expect(html).toContain('a &#60;note&#62;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

import { describe, expect, it } from 'vitest';
import { buildWorkload, estimateJobTokens } from '../../../src/cli/bench/workload.js';

describe('buildWorkload', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(buildWorkload(50, 7)).toEqual(buildWorkload(50, 7));
    expect(buildWorkload(50, 7)).not.toEqual(buildWorkload(50, 8));
  });

  it('mixes sizes, each under 100 tokens, with unique ids', () => {
    const jobs = buildWorkload(2000, 1);
    const sizes = new Set(jobs.map((j) => j.size));
    expect(sizes).toEqual(new Set(['xs', 's', 'm']));
    expect(Math.max(...jobs.map(estimateJobTokens))).toBeLessThanOrEqual(100);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(2000);
  });
});

import type { Strategy } from '../../config/options.js';
import type { LimitsMode } from './bench-options.js';
import type { RunKind } from './bench-result.js';

export interface PlannedRun {
  readonly name: string;
  readonly kind: RunKind;
  readonly strategy: Strategy | null;
  readonly limits: 'configured' | 'learned' | null;
}

/** The runs of one bench, in order: the two baselines, then keymux per strategy (and limits mode). */
export function planRuns(keys: number, strategies: readonly Strategy[], limits: LimitsMode): PlannedRun[] {
  const modes: Array<'configured' | 'learned'> = limits === 'both' ? ['configured', 'learned'] : [limits];
  return [
    { name: 'single key + SDK retries', kind: 'single-key', strategy: null, limits: null },
    { name: `naive rotation ×${keys}`, kind: 'naive-rotation', strategy: null, limits: null },
    ...strategies.flatMap((strategy) =>
      modes.map(
        (mode): PlannedRun => ({
          name: `keymux ${strategy}${mode === 'learned' ? ' (learned limits)' : ''}`,
          kind: 'keymux',
          strategy,
          limits: mode,
        }),
      ),
    ),
  ];
}

import type { Strategy } from '../../config/options.js';
import type { LimitsMode } from './bench-options.js';
import type { RunKind } from './bench-result.js';

export interface PlannedRun {
  readonly name: string;
  readonly kind: RunKind;
  readonly strategy: Strategy | null;
  readonly limits: 'configured' | 'learned' | null;
  /** keymux's slots per key in this run; null for the baselines. */
  readonly maxConcurrent: number | 'auto' | null;
}

/**
 * The runs of one bench, in order: the two baselines, then keymux per strategy, limits mode and slots
 * setting (a fixed number of slots is named in the run's name; `'auto'`, the default, is not).
 */
export function planRuns(
  keys: number,
  strategies: readonly Strategy[],
  limits: LimitsMode,
  slots: ReadonlyArray<number | 'auto'> = ['auto'],
): PlannedRun[] {
  const modes: Array<'configured' | 'learned'> = limits === 'both' ? ['configured', 'learned'] : [limits];
  const base = { strategy: null, limits: null, maxConcurrent: null } as const;
  return [
    { ...base, name: 'single key + SDK retries', kind: 'single-key' },
    { ...base, name: `naive rotation ×${keys}`, kind: 'naive-rotation' },
    ...strategies.flatMap((strategy) =>
      modes.flatMap((mode) =>
        slots.map(
          (maxConcurrent): PlannedRun => ({
            name: `keymux ${strategy}${mode === 'learned' ? ' (learned limits)' : ''}${maxConcurrent === 'auto' ? '' : ` [${maxConcurrent} slots]`}`,
            kind: 'keymux',
            strategy,
            limits: mode,
            maxConcurrent,
          }),
        ),
      ),
    ),
  ];
}

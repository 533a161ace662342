import cliProgress from 'cli-progress';

export type BarPayload = Record<string, string | number>;

/** One bar of a progress display; a no-op when progress is off. */
export interface ProgressBar {
  update(value: number, payload?: BarPayload): void;
  setTotal(total: number): void;
}

export interface Progress {
  bar(total: number, payload: BarPayload): ProgressBar;
  stop(): void;
}

const NO_BAR: ProgressBar = { update() {}, setTotal() {} };

/** The fields cli-progress fills in itself; any other `{name}` in a format must come in the payload. */
const BUILT_IN = new Set([
  'bar',
  'value',
  'total',
  'percentage',
  'eta',
  'eta_formatted',
  'duration',
  'duration_formatted',
]);

/** The `{names}` of a bar format that its payload must give (else cli-progress prints them literally). */
export function payloadFields(format: string): string[] {
  return [...format.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').filter((name) => !BUILT_IN.has(name));
}

/**
 * Live bars on a terminal, nothing otherwise: piped output and CI logs stay clean, and the final table
 * carries the same figures.
 */
export function createProgress(format: string, enabled = process.stdout.isTTY === true): Progress {
  if (!enabled) return { bar: () => NO_BAR, stop() {} };
  const multi = new cliProgress.MultiBar(
    { format, hideCursor: true, clearOnComplete: false, stopOnComplete: false, etaBuffer: 50, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  return {
    bar(total, payload) {
      const bar = multi.create(total, 0, payload);
      return {
        update: (value, next) => bar.update(value, next ?? {}),
        setTotal: (t) => bar.setTotal(t),
      };
    },
    stop: () => multi.stop(),
  };
}

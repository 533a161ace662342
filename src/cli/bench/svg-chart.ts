export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

export interface ChartOptions {
  readonly title: string;
  /** Seconds per point, for the x axis. */
  readonly stepSeconds: number;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
}

/** Colour-blind-safe palette (Okabe–Ito), cycled. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/** A line chart as inline SVG: no script, no CDN, so the report opens anywhere and stays one file. */
export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 240;
  const pad = { left: 48, right: 12, top: 28, bottom: 34 };
  const points = Math.max(1, ...series.map((s) => s.values.length));
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)));
  const x = (i: number): number =>
    pad.left + (points <= 1 ? 0 : (i / (points - 1)) * (width - pad.left - pad.right));
  const y = (v: number): number => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const lines = series.map((s, n) => {
    const d = s.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
    return `<path d="${d}" fill="none" stroke="${PALETTE[n % PALETTE.length]}" stroke-width="1.5"><title>${escapeHtml(s.name)}</title></path>`;
  });
  const ticks = [0, 0.5, 1].map((f) => {
    const v = max * f;
    return `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${round(v)}</text><line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`;
  });
  const seconds = (points - 1) * options.stepSeconds;
  const legend = series
    .map((s, n) => `<tspan fill="${PALETTE[n % PALETTE.length]}">■</tspan> ${escapeHtml(s.name)}`)
    .join('  ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${pad.left}" y="16" font-weight="bold">${escapeHtml(options.title)}</text>`,
    ...ticks,
    `<text x="${pad.left}" y="${height - 8}">0 s</text>`,
    `<text x="${width - pad.right}" y="${height - 8}" text-anchor="end">${round(seconds)} s</text>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(options.yLabel)} · ${legend}</text>`,
    ...lines,
    '</svg>',
  ].join('');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

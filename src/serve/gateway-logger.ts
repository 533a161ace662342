import { type DestinationStream, type Level, type Logger, pino } from 'pino';

export interface GatewayLoggerOptions {
  /** @default 'info' */
  readonly level?: Level;
  /** Where lines go. @default process.stderr */
  readonly destination?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Human lines instead of JSON. @default whether `destination` is a terminal */
  readonly pretty?: boolean;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLORS: Readonly<Record<number, string>> = { 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Said by the line's own time and message already: an event's `type` and `at`. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'type', 'at']);

function field(value: unknown): string {
  return typeof value === 'string' && /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
}

/** One of pino's JSON lines as a person reads it: `12:00:01.250 INFO  message key=value …`. */
export function prettyLine(json: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 23);
  const msg = String(entry.msg ?? '');
  const rest = Object.entries(entry)
    // A field the message already spells out (the banner's URL) is not repeated.
    .filter(([k, v]) => !OMITTED.has(k) && !(typeof v === 'string' && v.length >= 8 && msg.includes(v)))
    .map(([k, v]) => `${k}=${field(v)}`)
    .join(' ');
  const shown = color && COLORS[level] ? `\u001b[${COLORS[level]}m${name}\u001b[0m` : name;
  return `${time} ${shown} ${msg}${rest === '' ? '' : ` ${rest}`}\n`;
}

function prettyStream(destination: NodeJS.WritableStream, color: boolean): DestinationStream {
  return { write: (line: string) => void destination.write(prettyLine(line, color)) };
}

/**
 * The gateway's logger: pino (Fastify's own), JSON lines for collectors, or readable lines on a
 * terminal. Events carry key names and masked labels only.
 */
export function createGatewayLogger(options: GatewayLoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const pretty = options.pretty ?? destination.isTTY === true;
  const stream: DestinationStream = pretty
    ? prettyStream(destination, destination.isTTY === true)
    : { write: (line: string) => void destination.write(line) };
  return pino({ level: options.level ?? 'info', base: null }, stream);
}

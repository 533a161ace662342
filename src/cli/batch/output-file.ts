import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { BatchOutputLine } from './output-line.js';

/** What an earlier run already wrote: the custom_ids answered and the malformed lines reported. */
export interface DoneSet {
  readonly customIds: ReadonlySet<string>;
  readonly malformedLines: ReadonlySet<number>;
}

/**
 * Reads an existing output file for a resumed run. A crash can only leave a partial last line (every
 * line is written whole, in one call); it is cut off so its request runs again.
 */
export function readDone(path: string): DoneSet {
  const customIds = new Set<string>();
  const malformedLines = new Set<number>();
  if (!existsSync(path)) return { customIds, malformedLines };
  let text = readFileSync(path, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    truncateSync(path, Buffer.byteLength(text.slice(0, cut)));
    text = text.slice(0, cut);
  }
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: Partial<BatchOutputLine>;
    try {
      line = JSON.parse(raw) as Partial<BatchOutputLine>;
    } catch {
      continue;
    }
    if (typeof line.custom_id === 'string') customIds.add(line.custom_id);
    else if (typeof line.error?.line === 'number') malformedLines.add(line.error.line);
  }
  return { customIds, malformedLines };
}

/**
 * Appends lines as results arrive. Each line goes to the OS in one synchronous write, so Ctrl-C or a
 * crash of the process never loses a written result nor leaves half a line; `close` also fsyncs.
 */
export class OutputFile {
  readonly #fd: number;
  #lines = 0;

  constructor(readonly path: string) {
    // Model output may be private: a new file is readable by its owner only (an existing one keeps its mode).
    this.#fd = openSync(path, 'a', 0o600);
  }

  get linesWritten(): number {
    return this.#lines;
  }

  write(line: BatchOutputLine): void {
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
    this.#lines++;
  }

  close(): void {
    fsyncSync(this.#fd);
    closeSync(this.#fd);
  }
}

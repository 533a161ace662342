import { randomBytes } from 'node:crypto';
import type { MalformedLine } from './batch-line.js';

/** One line of a Batch API output file. */
export interface BatchOutputLine {
  readonly id: string;
  readonly custom_id: string | null;
  readonly response: {
    readonly status_code: number;
    readonly request_id: string | null;
    readonly body: unknown;
  } | null;
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** For malformed input lines: where, so a resumed run knows the line is done. */
    readonly line?: number;
  } | null;
}

const newId = (): string => `batch_req_${randomBytes(12).toString('hex')}`;

/** An answer from the provider, success or an HTTP error, as the Batch API writes it. */
export function responseLine(
  customId: string,
  status: number,
  requestId: string | null,
  body: unknown,
): BatchOutputLine {
  return {
    id: newId(),
    custom_id: customId,
    response: { status_code: status, request_id: requestId, body },
    error: null,
  };
}

/** A request that got no HTTP answer worth keeping (every attempt failed to connect, cap reached, …). */
export function errorLine(customId: string, code: string, message: string): BatchOutputLine {
  return { id: newId(), custom_id: customId, response: null, error: { code, message } };
}

export function malformedLine(m: MalformedLine): BatchOutputLine {
  return {
    id: newId(),
    custom_id: m.customId,
    response: null,
    error: { code: 'invalid_input_line', message: `line ${m.lineNumber}: ${m.message}`, line: m.lineNumber },
  };
}

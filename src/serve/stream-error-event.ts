import { type Dialect, errorBody } from './error-body.js';

/**
 * The event a provider sends when a stream fails midway, in its own SSE shape, so the client's SDK
 * raises its own error instead of ending quietly on a truncated answer: OpenAI's and Gemini's `data:`
 * line with an `error` object, Anthropic's `event: error`.
 */
export function streamErrorEvent(dialect: Dialect, message: string): string {
  const body = JSON.stringify(errorBody(dialect, dialect === 'anthropic' ? 529 : 502, message));
  return dialect === 'anthropic' ? `event: error\ndata: ${body}\n\n` : `data: ${body}\n\n`;
}

/** Whether the bytes relayed so far end between two SSE events (else a partial event must be closed first). */
export function endsAtEventBoundary(chunk: Uint8Array | undefined): boolean {
  if (chunk === undefined || chunk.length === 0) return true;
  const n = chunk.length;
  return chunk[n - 1] === 0x0a && (chunk[n - 2] === 0x0a || (chunk[n - 2] === 0x0d && chunk[n - 3] === 0x0a));
}

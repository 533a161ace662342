import { type Dialect, errorBody } from './error-body.js';

/**
 * What a provider sends when a stream fails midway, in its own shape, so the client's SDK raises its own
 * error instead of ending quietly on a truncated answer: OpenAI's `data:` line with an `error` object,
 * Anthropic's `event: error`, and Google's bare JSON error object, which is what @google/genai looks for
 * in a stream's chunk.
 */
export function streamErrorEvent(dialect: Dialect, message: string): string {
  // What each provider says of its own fault mid-stream: overloaded, unavailable, a server error.
  const status = dialect === 'anthropic' ? 529 : dialect === 'gemini' ? 503 : 502;
  const body = JSON.stringify(errorBody(dialect, status, message));
  if (dialect === 'anthropic') return `event: error\ndata: ${body}\n\n`;
  return dialect === 'gemini' ? `${body}\n` : `data: ${body}\n\n`;
}

/** Whether the bytes relayed so far end between two SSE events (else a partial event must be closed first). */
export function endsAtEventBoundary(chunk: Uint8Array | undefined): boolean {
  if (chunk === undefined || chunk.length === 0) return true;
  const n = chunk.length;
  return chunk[n - 1] === 0x0a && (chunk[n - 2] === 0x0a || (chunk[n - 2] === 0x0d && chunk[n - 3] === 0x0a));
}

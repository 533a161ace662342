/** Which deadline a stream missed. */
export type StreamDeadline = 'first-byte' | 'idle';

/**
 * A stream that missed one of its deadlines (`streamFirstByteTimeoutMs`, `streamIdleTimeoutMs`).
 * Its `code` is a connection fault's, so a stall upstream is classified `transient`: it counts
 * against the key like a 5xx. A stream the caller stopped reading is ended with this error too, but
 * that one never counts against the key.
 */
export class StreamTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  readonly deadline: StreamDeadline;
  readonly timeoutMs: number;

  constructor(deadline: StreamDeadline, timeoutMs: number, detail: string) {
    super(
      `stream ${deadline === 'first-byte' ? 'first-byte' : 'idle'} timeout after ${timeoutMs} ms: ${detail}`,
    );
    this.name = 'StreamTimeoutError';
    this.deadline = deadline;
    this.timeoutMs = timeoutMs;
  }
}

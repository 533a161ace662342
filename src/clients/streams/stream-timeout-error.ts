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

/**
 * A stream that ended before its first event (a 200 whose body is not the provider's event stream): no
 * provider sends an empty stream, so it is a fault of the answer, counted against the key like a cut
 * connection, and the job fails over (nothing reached the caller yet).
 */
export class EmptyStreamError extends Error {
  readonly code = 'ECONNRESET';

  constructor() {
    super('the stream ended before its first event');
    this.name = 'EmptyStreamError';
  }
}

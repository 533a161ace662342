/** Thrown instead of sending a request once a run has used its share of `--max-requests`. */
export class RequestCapError extends Error {
  override readonly name = 'RequestCapError';
}

/**
 * Counts HTTP requests against a hard cap. The cap is checked before a request leaves, so a client's
 * own retries cannot overshoot it.
 */
export class RequestCap {
  #sent = 0;

  constructor(readonly limit: number = Number.POSITIVE_INFINITY) {}

  get sent(): number {
    return this.#sent;
  }

  /** Takes one request from the cap; false when none is left. */
  take(): boolean {
    if (this.#sent >= this.limit) return false;
    this.#sent++;
    return true;
  }
}

/** A fetch that records each request's key and status and refuses requests beyond the cap. */
export function observingFetch(
  key: string,
  cap: RequestCap,
  onAnswer: (key: string, status: number) => void,
): typeof fetch {
  return async (input, init) => {
    if (!cap.take()) throw new RequestCapError(`request cap of ${cap.limit} reached`);
    try {
      const response = await fetch(input, init);
      onAnswer(key, response.status);
      return response;
    } catch (error) {
      onAnswer(key, 0);
      throw error;
    }
  };
}

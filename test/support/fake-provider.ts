import type { Failure, FailureClass } from '../../src/core/failure.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';

/** An HTTP-like error, as a provider's SDK would throw. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message = `HTTP ${status}`,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const BY_STATUS: Array<[(s: number) => boolean, FailureClass]> = [
  [(s) => s === 429, 'rate-limited'],
  [(s) => s === 401 || s === 403, 'auth'],
  [(s) => s === 402, 'quota-exhausted'],
  [(s) => s === 408 || s === 409 || s >= 500, 'transient'],
];

/** The client a fake key gets: just its key, so a test's job can act by key. */
export interface FakeClient {
  readonly apiKey: string;
}

/** A provider for dispatcher tests: the client is the key, errors are classified by status. */
export function fakeAdapter(name = 'fake'): ProviderAdapter<FakeClient> {
  return {
    name,
    createClient: (spec) => ({ apiKey: spec.apiKey }),
    classify: (error): Failure => {
      const status = error instanceof HttpError ? error.status : undefined;
      const cls = BY_STATUS.find(([test]) => status !== undefined && test(status))?.[1] ?? 'bad-request';
      return {
        class: cls,
        status,
        retryAfterMs: error instanceof HttpError ? error.retryAfterMs : undefined,
        message: error instanceof Error ? error.message : String(error),
        error,
      };
    },
  };
}

/** A promise with its resolvers, for jobs a test finishes by hand. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

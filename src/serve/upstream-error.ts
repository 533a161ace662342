/**
 * A provider's non-2xx answer to a raw request, shaped like the SDKs' APIError (`status`, `headers`,
 * `error` = the parsed body) so that keymux classifies it as it classifies theirs.
 */
export class UpstreamHttpError extends Error {
  override readonly name = 'UpstreamHttpError';
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly error: unknown,
  ) {
    super(`${status} ${messageOf(error)}`);
  }
}

function messageOf(body: unknown): string {
  const inner = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof inner?.message === 'string' ? inner.message : 'upstream error';
}

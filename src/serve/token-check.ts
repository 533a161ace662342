import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Compares a presented token with the accepted ones in constant time: both sides are hashed first, so
 * neither the length nor the first differing byte of a token shows in the time taken.
 */
export class TokenCheck {
  readonly #hashes: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.#hashes = tokens.map(digest);
  }

  get required(): boolean {
    return this.#hashes.length > 0;
  }

  matches(candidate: string | undefined): boolean {
    const presented = digest(candidate ?? '');
    let ok = false;
    // Every token is compared, so the time does not tell which one matched.
    for (const hash of this.#hashes) ok = timingSafeEqual(hash, presented) || ok;
    return ok && candidate !== undefined;
  }
}

/** The token a client sends the way its SDK sends an API key. */
export function presentedToken(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  query: string,
): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  for (const name of ['x-api-key', 'x-goog-api-key']) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  const key = new URLSearchParams(query).get('key');
  return key ?? undefined;
}

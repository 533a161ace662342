/** `sk-p…xyz1`: first 4 and last 4 characters; `****` when the value is shorter than 12. */
export function maskKey(value: string): string {
  if (value.length < 12) return '****';
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/** Replaces every occurrence of each secret in `text` by its mask. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join(maskKey(secret));
  }
  return out;
}

/**
 * Scrubs a secret from an error a provider or SDK threw (messages may echo the key), in place, down
 * to a few levels of nested objects (`error.error.message`, `cause`). Returns the same error.
 */
export function scrubError<E>(error: E, secret: string, depth = 3): E {
  if (depth < 0 || error === null || typeof error !== 'object') return error;
  const record = error as Record<string, unknown>;
  for (const prop of ['message', 'stack', 'cause', ...Object.keys(record)]) {
    let value: unknown;
    try {
      value = record[prop];
    } catch {
      continue;
    }
    if (typeof value === 'string' && value.includes(secret)) {
      try {
        record[prop] = scrub(value, [secret]);
      } catch {
        // A read-only property that holds the key cannot be fixed here; classify() never copies it.
      }
    } else if (value !== null && typeof value === 'object' && prop !== 'headers') {
      scrubError(value, secret, depth - 1);
    }
  }
  return error;
}

/**
 * What went wrong with Redis, in words that name the cause and never the password: the reason of a
 * `store-degraded` event, of a start that failed, of a bad URL.
 */

/** A URL with its password (and user) hidden: `redis://…@host:port`. */
export function redactRedisUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, '$1…@');
}

/** Redis said no to the credentials: it will say no again until someone fixes them. */
export function isAuthError(error: unknown): boolean {
  const message = messageOf(error);
  return (
    /^(WRONGPASS|NOAUTH)\b/.test(message) ||
    /\b(invalid password|AUTH .* without any password)/i.test(message)
  );
}

/** One line on why Redis cannot be used; `secret` (the URL's password, when keymux has it) is scrubbed. */
export function describeRedisError(error: unknown, secret?: string): string {
  const message = messageOf(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  let text: string;
  if (isAuthError(error))
    text = `redis refused the credentials (check the Redis URL's user and password): ${message}`;
  else if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))
    text = `redis refused the connection (nothing listens there?): ${message}`;
  else if (code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(message))
    text = `redis host not found: ${message}`;
  else text = message;
  return scrub(redactRedisUrl(text), secret);
}

function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('…');
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The error that says why: a call on a client that is not connected only says "offline" or "closed"; the
 * client's own last connection error (refused, wrong password), when known, says more.
 */
export function withClientError(error: unknown, clientError: (() => unknown) | undefined): unknown {
  if (!/offline|closed|writeable|not connected/i.test(messageOf(error))) return error;
  return clientError?.() ?? error;
}

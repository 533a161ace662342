import type { CallOptions } from '../config/options.js';
import { type ClientOptions, toCallOptions } from './sdk-clients.js';
import type { Executor } from './wrap-context.js';

export interface KeyRotationOptions {
  /** Tokens a call will use, from its arguments, reserved before it runs. */
  readonly tokens?: (...args: readonly unknown[]) => number;
}

/** A key's value from its client: the generic adapter's client is the key; SDK clients carry `apiKey`. */
function keyOf(client: unknown): string {
  if (typeof client === 'string') return client;
  const apiKey = (client as { apiKey?: unknown } | null)?.apiKey;
  if (typeof apiKey === 'string') return apiKey;
  throw new TypeError('withKeyRotation: this provider’s client does not carry its key');
}

/**
 * A decorator for code that takes the key itself: wraps `fn(apiKey, …args)` so that every call runs as
 * a keymux job with the key the strategy picks, failing over to another key on a retryable failure.
 */
export function withKeyRotation<A extends unknown[], R>(
  mux: Executor,
  provider: string,
  fn: (apiKey: string, ...args: A) => R | Promise<R>,
  options?: ClientOptions & KeyRotationOptions,
): (...args: A) => Promise<R> {
  const { tokens, ...rest } = typeof options === 'string' ? { tokens: undefined } : (options ?? {});
  const call: CallOptions = toCallOptions(typeof options === 'string' ? options : rest);
  return (...args: A) =>
    mux.execute(provider, async (client) => fn(keyOf(client), ...args), {
      ...call,
      ...(tokens === undefined ? {} : { tokens: tokens(...args) }),
    });
}

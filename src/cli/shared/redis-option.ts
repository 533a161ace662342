import { ConfigError } from '../../core/errors.js';
import type { RedisStore } from '../../store/redis-store.js';
import { storeFromEnv } from '../../store/store-from-env.js';
import { UsageError } from './usage-error.js';

/** `--redis-optional`'s help, the same on every command that takes `--redis`. */
export const REDIS_OPTIONAL_HELP =
  'run even when Redis cannot be reached at start, each process on its own share of every limit (default: exit 2)';

/**
 * The Redis store a command was given (`--redis`, put in the environment as `KEYMUX_REDIS_URL`), or none.
 * A bad URL is the user's to fix: exit 2, the URL's password never shown.
 */
export function redisStoreOf(env: Readonly<Record<string, string | undefined>>): RedisStore | undefined {
  try {
    return storeFromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Waits for the store's start (connecting, loading scripts; `KEYMUX_REDIS_STARTUP_TIMEOUT`, 5 s by default).
 * A user who asked for shared limits must know when they are not shared: without `optional`, a Redis that
 * cannot be reached is a `UsageError` (exit 2); with it, a warning and the run goes on alone.
 */
export async function startRedisOrFail(
  store: RedisStore | undefined,
  optional: boolean,
  warn: (line: string) => void,
): Promise<void> {
  if (!store) return;
  const readiness = await store.ready();
  if (readiness.ok) return;
  if (!optional)
    throw new UsageError(
      `cannot share the keys' limits through Redis: ${readiness.reason} (--redis-optional runs alone instead)`,
    );
  warn(`Redis cannot be reached, running alone on this process's share of every limit: ${readiness.reason}`);
}

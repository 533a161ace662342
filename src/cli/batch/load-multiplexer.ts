import type { BatchOffloadOptions } from '../../config/offload-options.js';
import { ConfigError } from '../../core/errors.js';
import { Multiplexer } from '../../multiplexer.js';
import { missingKeysMessage } from '../shared/key-env.js';
import { redisStoreOf, startRedisOrFail } from '../shared/redis-option.js';
import { UsageError } from '../shared/usage-error.js';

/** The multiplexer batch runs on, and what closes it with its Redis client. */
export interface LoadedMultiplexer {
  readonly mux: Multiplexer;
  close(): Promise<void>;
}

/**
 * The multiplexer batch runs on: keys from `--config` when given, else from the environment (where
 * `OPENAI_BASE_URL` points every key at another server, such as the emulator), on Redis when
 * `KEYMUX_REDIS_URL` says so. Bad configuration, or a Redis that cannot be reached at start (unless
 * `redisOptional`), is the user's to fix: a one-line error and exit code 2, with every connection closed.
 */
export async function loadMultiplexer(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv,
  redisOptional = false,
  batchOffload?: BatchOffloadOptions,
): Promise<LoadedMultiplexer> {
  if (configPath !== undefined && batchOffload !== undefined) {
    throw new UsageError('--offload works with keys from the environment, not with --config');
  }
  if (configPath !== undefined && env.KEYMUX_REDIS_URL) {
    throw new UsageError(
      '--redis (KEYMUX_REDIS_URL) works with keys from the environment, not with --config',
    );
  }
  const store = redisStoreOf(env);
  let mux: Multiplexer | undefined;
  try {
    mux =
      configPath === undefined
        ? Multiplexer.fromEnv(env, { ...(store ? { store } : {}), ...(batchOffload ? { batchOffload } : {}) })
        : await Multiplexer.fromConfig(configPath);
    if (mux.keyNames('openai').length === 0)
      throw new UsageError(missingKeysMessage('openai', configPath === undefined));
    await startRedisOrFail(store, redisOptional, (line) => process.stderr.write(`keymux batch: ${line}\n`));
  } catch (error) {
    await mux?.close();
    store?.close();
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const loaded = mux;
  return {
    mux: loaded,
    close: async () => {
      await loaded.close();
      store?.close();
    },
  };
}

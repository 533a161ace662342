import { ConfigError } from '../../core/errors.js';
import { Multiplexer } from '../../multiplexer.js';
import { missingKeysMessage } from '../shared/key-env.js';
import { UsageError } from '../shared/usage-error.js';

/**
 * The multiplexer batch runs on: keys from `--config` when given, else from the environment (where
 * `OPENAI_BASE_URL` points every key at another server, such as the emulator). Bad configuration is
 * the user's to fix: a one-line error and exit code 2.
 */
export async function loadMultiplexer(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Multiplexer> {
  let mux: Multiplexer;
  if (configPath !== undefined && env.KEYMUX_REDIS_URL) {
    throw new UsageError(
      '--redis (KEYMUX_REDIS_URL) works with keys from the environment, not with --config',
    );
  }
  try {
    mux = configPath === undefined ? Multiplexer.fromEnv(env) : await Multiplexer.fromConfig(configPath);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (mux.keyNames('openai').length === 0) {
    await mux.close();
    throw new UsageError(missingKeysMessage('openai', configPath === undefined));
  }
  return mux;
}

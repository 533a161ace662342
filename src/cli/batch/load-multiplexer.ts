import { readEnv } from '../../config/env.js';
import { type FileConfig, loadConfigFile } from '../../config/file.js';
import { ConfigError } from '../../core/errors.js';
import { Multiplexer } from '../../multiplexer.js';
import { builtinAdapters } from '../../providers/index.js';
import { missingKeysMessage } from '../shared/key-env.js';
import { UsageError } from '../shared/usage-error.js';

/**
 * The multiplexer batch runs on: keys from `--config` when given, else from the environment (where
 * `OPENAI_BASE_URL` points every key at another server, such as the emulator).
 */
export async function loadMultiplexer(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Multiplexer> {
  let config: FileConfig;
  try {
    config = configPath === undefined ? readEnv(env) : await loadConfigFile(configPath);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const mux = new Multiplexer(config.options);
  for (const adapter of builtinAdapters()) mux.registerProvider(adapter);
  for (const key of config.keys) mux.addKey(key.provider, key.options);
  for (const [provider, strategy] of Object.entries(config.strategies)) mux.setStrategy(strategy, provider);
  if (mux.keyNames('openai').length === 0) throw new UsageError(missingKeysMessage('openai', true));
  return mux;
}

import { ConfigError } from '../../core/errors.js';
import { Multiplexer } from '../../multiplexer.js';
import type { UsageStats } from '../../stats/usage-stats.js';
import { memoryStore } from '../../store/memory-store.js';
import { keyEnvVars } from '../shared/key-env.js';
import { UsageError } from '../shared/usage-error.js';

/**
 * Every key of `--config`, else of the environment (where `OPENAI_BASE_URL` and the like point keys
 * at another server, such as the emulator). Bad configuration or no key at all: exit code 2. Listing
 * and checking keys share nothing with other processes: `KEYMUX_REDIS_URL` is not used (no connection).
 */
export async function loadKeys(configPath: string | undefined, env: NodeJS.ProcessEnv): Promise<Multiplexer> {
  let mux: Multiplexer;
  try {
    mux =
      configPath === undefined
        ? Multiplexer.fromEnv(env, { store: memoryStore() })
        : await Multiplexer.fromConfig(configPath);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (providersWithKeys(mux.getUsageStats()).length === 0) {
    await mux.close();
    const where =
      configPath === undefined
        ? `set one of ${keyEnvVars('openai').join(', ')} (or ANTHROPIC_…, GEMINI_…, GROQ_…) or pass --config`
        : `${configPath} lists none`;
    throw new UsageError(`no keys found: ${where}`);
  }
  return mux;
}

export function providersWithKeys(stats: UsageStats): string[] {
  return Object.entries(stats.providers)
    .filter(([, p]) => p.keys.length > 0)
    .map(([name]) => name);
}

/** `--provider p` must name a provider that has keys. */
export function checkProvider(stats: UsageStats, provider: string | undefined): void {
  if (provider === undefined) return;
  const known = providersWithKeys(stats);
  if (!known.includes(provider))
    throw new UsageError(`no ${provider} keys: the keys found are for ${known.join(', ')}`);
}

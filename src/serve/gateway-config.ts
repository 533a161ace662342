import { z } from 'zod';
import { readEnv } from '../config/env.js';
import { loadConfigFile, readConfigValue } from '../config/file.js';
import type { Logger, MultiplexerOptions } from '../config/options.js';
import { ConfigError } from '../core/errors.js';
import { Multiplexer } from '../multiplexer.js';
import type { RedisStore } from '../store/redis-store.js';
import { storeFromEnv } from '../store/store-from-env.js';

/** The gateway's part of a config file, beside seed 004's `ApiKeyPool`: `{ "ApiKeyPool": …, "gateway": … }`. */
const gatewaySection = z.strictObject({
  tokens: z.array(z.string().min(1)).optional(),
  adminToken: z.string().min(1).optional(),
});

export interface GatewayCredentials {
  readonly gatewayTokens: readonly string[];
  readonly adminToken: string | undefined;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Tokens from `KEYMUX_GATEWAY_TOKENS` / `KEYMUX_ADMIN_TOKEN`, else from the config file's `gateway` section. */
export async function readGatewayCredentials(
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<GatewayCredentials> {
  let section: z.infer<typeof gatewaySection> = {};
  if (configPath !== undefined) {
    // JSON or YAML, as the keys are read; a parse error says where, never the text (it may hold a key).
    const raw = await readConfigValue(configPath);
    const candidate =
      raw !== null && typeof raw === 'object' ? (raw as { gateway?: unknown }).gateway : undefined;
    if (candidate !== undefined) {
      const parsed = gatewaySection.safeParse(candidate);
      if (!parsed.success)
        throw new ConfigError(
          `gateway.${parsed.error.issues[0]?.path.join('.') ?? ''}`,
          parsed.error.issues[0]?.message ?? 'invalid',
        );
      section = parsed.data;
    }
  }
  const fromEnv = splitList(env.KEYMUX_GATEWAY_TOKENS);
  return {
    gatewayTokens: fromEnv.length > 0 ? fromEnv : (section.tokens ?? []),
    adminToken: env.KEYMUX_ADMIN_TOKEN?.trim() || section.adminToken,
  };
}

/** How often `keymux serve` checks its keys unless told otherwise (the library's default is never). */
export const SERVE_HEALTH_CHECK_INTERVAL_MS = 60_000;

export interface GatewayPoolOptions {
  readonly logger?: Logger | undefined;
  /** Shares the keys' state with other replicas: `--redis`, else `KEYMUX_REDIS_URL`. */
  readonly redisUrl?: string | undefined;
  /** `--health-check-interval`; else the config's or `KEYMUX_HEALTH_CHECK_INTERVAL`; else 60 s. 0 turns checks off. */
  readonly healthCheckInterval?: number | undefined;
}

/** The multiplexer a gateway serves, and what closes it with the store it was given. */
export interface GatewayPool {
  readonly mux: Multiplexer;
  /** The Redis store the keys are shared through, when a URL was given. */
  readonly store: RedisStore | undefined;
  close(): Promise<void>;
}

/**
 * The multiplexer a gateway serves: keys from the config file when given, else from the environment;
 * on a Redis store when a URL is given (so replicas share each key's limits and cooldowns); health
 * checks every 60 s unless configured otherwise.
 */
export async function loadGatewayMultiplexer(
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  options: GatewayPoolOptions = {},
): Promise<GatewayPool> {
  const parsed = configPath === undefined ? readEnv(env) : await loadConfigFile(configPath);
  const muxOptions: MultiplexerOptions = {
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    healthCheckInterval:
      options.healthCheckInterval ?? parsed.options.healthCheckInterval ?? SERVE_HEALTH_CHECK_INTERVAL_MS,
  };
  const redisUrl = options.redisUrl ?? env.KEYMUX_REDIS_URL;
  // Made here, not by the multiplexer, so the caller can wait for its start (and close it on any error).
  const store = storeFromEnv({ ...env, KEYMUX_REDIS_URL: redisUrl });
  const withStore = store === undefined ? muxOptions : { ...muxOptions, store };
  let mux: Multiplexer;
  try {
    mux =
      configPath === undefined
        ? Multiplexer.fromEnv(env, withStore)
        : await Multiplexer.fromConfig(configPath, withStore);
  } catch (error) {
    await store?.close();
    throw error;
  }
  const close = async (): Promise<void> => {
    await mux.close();
    await store?.close();
  };
  const total = Object.values(mux.getUsageStats().providers).reduce((n, p) => n + p.totalKeys, 0);
  if (total === 0) {
    await close();
    throw new ConfigError(
      configPath === undefined ? 'env' : configPath,
      'no keys found: set OPENAI_API_KEYS, ANTHROPIC_API_KEYS, GEMINI_API_KEYS or GROQ_API_KEYS (comma lists allowed), or pass --config',
    );
  }
  return { mux, store, close };
}

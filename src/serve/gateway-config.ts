import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '../config/options.js';
import { ConfigError } from '../core/errors.js';
import { Multiplexer } from '../multiplexer.js';

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
    const raw: unknown = JSON.parse(await readFile(configPath, 'utf8'));
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

/** The multiplexer a gateway serves: keys from the config file when given, else from the environment. */
export async function loadGatewayMultiplexer(
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger | undefined,
): Promise<Multiplexer> {
  const options = logger === undefined ? {} : { logger };
  const mux =
    configPath === undefined
      ? Multiplexer.fromEnv(env, options)
      : await Multiplexer.fromConfig(configPath, options);
  const total = Object.values(mux.getUsageStats().providers).reduce((n, p) => n + p.totalKeys, 0);
  if (total === 0) {
    await mux.close();
    throw new ConfigError(
      configPath === undefined ? 'env' : configPath,
      'no keys found: set OPENAI_API_KEYS, ANTHROPIC_API_KEYS, GEMINI_API_KEYS or GROQ_API_KEYS (comma lists allowed), or pass --config',
    );
  }
  return mux;
}

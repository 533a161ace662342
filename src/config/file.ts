import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { EnvConfig, EnvKey } from './env.js';
import { checkFallbackMap } from './fallbacks.js';
import type { KeyOptions, MultiplexerOptions, Strategy } from './options.js';
import {
  checkOption,
  describe,
  type KeyFieldNames,
  NUMERIC_OPTIONS,
  parseStrategy,
  validateKeyOptions,
  validateProviderName,
} from './resolve.js';
import { checkShares } from './shares.js';
import { closestName } from './suggest.js';

/** Same shape as the environment's: keys in file order, per-provider strategies, multiplexer options. */
export type FileConfig = EnvConfig;

const count = z.number().exactOptional();
const text = z.string().exactOptional();

const rateLimitSchema = z.strictObject({
  requestsPerMinute: count,
  tokensPerMinute: count,
  requestsPerDay: count,
  tokensPerDay: count,
});

const keySchema = z.strictObject({
  key: z.string(),
  name: text,
  rateLimit: rateLimitSchema.exactOptional(),
  priority: count,
  enabled: z.boolean().exactOptional(),
  tags: z.array(z.string()).exactOptional(),
  model: text,
  baseURL: text,
  quotaGroup: text,
  maxConcurrentRequests: z.union([z.number(), z.literal('auto')]).exactOptional(),
  queueSize: count,
});

// `"keys": ["sk-…", …]` is the shorthand everyone writes first; it means `{ "key": "sk-…" }`.
const keyEntry = z.preprocess((value) => (typeof value === 'string' ? { key: value } : value), keySchema);
// A provider's `baseURL` applies to each of its keys that does not give its own.
const providerSchema = z.strictObject({ strategy: text, baseURL: text, keys: z.array(keyEntry) });

// Ranges are checked after the shape, by the same rules as `new Multiplexer(options)`, for the same messages.
const poolSchema = z.strictObject({
  enabled: z.boolean().exactOptional(),
  strategy: text,
  providers: z.record(z.string(), providerSchema).exactOptional(),
  ...Object.fromEntries(NUMERIC_OPTIONS.map((option) => [option, count])),
  maxConcurrentRequests: z.union([z.number(), z.literal('auto')]).exactOptional(),
  // Checked by checkFallbackMap, as `new Multiplexer(options)` checks them.
  fallbacks: z.unknown().exactOptional(),
  contextWindowFallbacks: z.unknown().exactOptional(),
  contentPolicyFallbacks: z.unknown().exactOptional(),
  // Checked by checkShares, as `new Multiplexer(options)` checks it.
  shares: z.unknown().exactOptional(),
});

const FALLBACK_OPTIONS = ['fallbacks', 'contextWindowFallbacks', 'contentPolicyFallbacks'] as const;

// The file's own names, so errors point at the field as written in the file.
const FILE_NAMES: KeyFieldNames = {
  apiKey: 'key',
  name: 'name',
  weight: 'priority',
  limits: 'rateLimit',
  rpm: 'rateLimit.requestsPerMinute',
  tpm: 'rateLimit.tokensPerMinute',
  rpd: 'rateLimit.requestsPerDay',
  tpd: 'rateLimit.tokensPerDay',
  maxConcurrentRequests: 'maxConcurrentRequests',
  queueSize: 'queueSize',
  model: 'model',
  baseURL: 'baseURL',
  tags: 'tags',
  enabled: 'enabled',
  quotaGroup: 'quotaGroup',
};

type KeyEntry = z.infer<typeof keySchema>;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A config object (`providers` → `keys` with `key`, `rateLimit`, `priority`, `enabled`, `tags`), with or
 * without the `ApiKeyPool` wrapper (inside an app's own config.json, the other top-level fields are left
 * alone). Paths in errors are relative to the pool. `${NAME}` in a string is replaced by the environment
 * variable NAME (`$${` is a literal `${`), so a file can name its keys without holding them.
 */
export function parseConfig(config: unknown, env: Env = process.env): FileConfig {
  const wrapped = isRecord(config) && Object.hasOwn(config, 'ApiKeyPool');
  const body = withEnv(wrapped ? config.ApiKeyPool : config, env, []);
  const result = poolSchema.safeParse(body);
  if (!result.success) throw fromZod(result.error, body);
  const pool = result.data;
  const options: { -readonly [O in keyof MultiplexerOptions]: MultiplexerOptions[O] } = {};
  for (const option of NUMERIC_OPTIONS) {
    const value = (pool as Record<string, unknown>)[option];
    if (value !== undefined) options[option] = checkOption(option, value);
  }
  if (pool.strategy !== undefined) options.strategy = parseStrategy(pool.strategy, 'strategy');
  for (const option of FALLBACK_OPTIONS) {
    if (pool[option] !== undefined) options[option] = checkFallbackMap(pool[option], option);
  }
  if (pool.shares !== undefined) options.shares = checkShares(pool.shares, 'shares');
  const keys: EnvKey[] = [];
  const strategies: Record<string, Strategy> = {};
  for (const [provider, entry] of Object.entries(pool.providers ?? {})) {
    validateProviderName(provider, 'providers');
    const path = `providers.${provider}`;
    if (entry.strategy !== undefined) {
      strategies[provider] = parseStrategy(entry.strategy, `${path}.strategy`);
    }
    const { baseURL } = entry;
    const keyEntries = baseURL === undefined ? entry.keys : entry.keys.map((k) => ({ baseURL, ...k }));
    keys.push(...readKeys(provider, keyEntries, path, pool.enabled !== false));
  }
  return { keys, strategies, options };
}

/**
 * Reads and parses a config file: YAML when it ends in `.yaml` or `.yml`, else JSON. An unreadable file or
 * a syntax error is a ConfigError naming the file and the line and column, never quoting the text.
 */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<FileConfig> {
  return parseConfig(await readConfigValue(path), env);
}

/** A config file's value, JSON or YAML by its extension, before any validation (the gateway reads its section). */
export async function readConfigValue(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, `cannot read the config file: ${reason}`, { cause: error });
  }
  return /\.ya?ml$/i.test(path) ? yamlValue(path, text) : jsonValue(path, text);
}

function jsonValue(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, `not valid JSON: ${jsonReason(error, text)}`);
  }
}

/** yaml's messages quote the lines around the error, which may hold a key: its code and place only. */
function yamlValue(path: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const where = error.linePos?.[0];
    const at = where === undefined ? '' : ` at line ${where.line}, column ${where.col}`;
    throw new ConfigError(path, `not valid YAML: ${error.code.toLowerCase().replaceAll('_', ' ')}${at}`);
  }
}

const ENV_REF = /\$(\$?)\{([^}]*)\}/g;

/** `${NAME}` references replaced from the environment, everywhere in the config; an unset one is an error. */
function withEnv(value: unknown, env: Env, path: readonly PropertyKey[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1);
      if (!/^[A-Za-z_]\w*$/.test(name))
        throw new ConfigError(formatPath(path), 'has a `$' + '{…}` that is not an environment variable name');
      const found = env[name];
      if (found === undefined)
        throw new ConfigError(formatPath(path), `\`\${${name}}\` is not set in the environment`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => withEnv(item, env, [...path, i]));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withEnv(v, env, [...path, k])]));
  }
  return value;
}

function readKeys(
  provider: string,
  entries: readonly KeyEntry[],
  path: string,
  poolEnabled: boolean,
): EnvKey[] {
  const seen = new Map<string, number>();
  const names = new Map<string, number>();
  return entries.map((entry, index) => {
    const at = `${path}.keys[${index}]`;
    const { key, priority, rateLimit, enabled, ...rest } = entry;
    const options: KeyOptions = {
      ...rest,
      apiKey: key,
      ...(priority === undefined ? {} : { weight: priority }),
      ...(rateLimit === undefined ? {} : { limits: limitsOf(rateLimit) }),
      // A disabled pool keeps its keys, out of rotation, so they can be enabled at run time.
      ...(enabled === undefined && poolEnabled ? {} : { enabled: poolEnabled && enabled !== false }),
    };
    const valid = validateKeyOptions(provider, options, at, FILE_NAMES);
    const first = seen.get(valid.apiKey);
    if (first !== undefined) throw new ConfigError(`${at}.key`, `the same key as ${path}.keys[${first}]`);
    seen.set(valid.apiKey, index);
    if (valid.name !== undefined) {
      const other = names.get(valid.name);
      if (other !== undefined) throw new ConfigError(`${at}.name`, `the same name as ${path}.keys[${other}]`);
      names.set(valid.name, index);
    }
    return { provider, options: valid };
  });
}

function limitsOf(rateLimit: NonNullable<KeyEntry['rateLimit']>): NonNullable<KeyOptions['limits']> {
  const { requestsPerMinute: rpm, tokensPerMinute: tpm, requestsPerDay: rpd, tokensPerDay: tpd } = rateLimit;
  return {
    ...(rpm === undefined ? {} : { rpm }),
    ...(tpm === undefined ? {} : { tpm }),
    ...(rpd === undefined ? {} : { rpd }),
    ...(tpd === undefined ? {} : { tpd }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path)
    value = isRecord(value) || Array.isArray(value) ? Reflect.get(value, segment) : undefined;
  return value;
}

/** The fields the object at `path` may have, from the schema that refused one. */
function knownFields(path: readonly PropertyKey[]): string[] {
  const last = path.at(-1);
  const shape =
    last === 'rateLimit'
      ? rateLimitSchema.shape
      : path.length === 0
        ? poolSchema.shape
        : path.length === 2 && path[0] === 'providers'
          ? providerSchema.shape
          : typeof last === 'number' && path.at(-2) === 'keys'
            ? keySchema.shape
            : {};
  return Object.keys(shape);
}

const ARTICLE: Readonly<Record<string, string>> = {
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

/** Messages written here, not zod's: some of zod's echo the input, and a key must never be echoed. */
function fromZod(error: z.ZodError, input: unknown): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError('', 'invalid configuration');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  if (issue.code === 'unrecognized_keys') {
    const field = issue.keys[0] ?? '';
    const shown = /^[A-Za-z_$][\w$]{0,31}$/.test(field);
    const path = formatPath(shown ? [...issue.path, field] : issue.path);
    // Only a known field is ever suggested, so a key pasted as a field name is never echoed.
    const guess = closestName(field, knownFields(issue.path));
    const hint = guess === undefined ? '' : `: did you mean ${guess}?`;
    return new ConfigError(path, `${shown ? 'is not a known field' : 'has an unknown field'}${hint}${more}`);
  }
  const path = formatPath(issue.path);
  if (issue.code === 'invalid_type') {
    const got = valueAt(input, issue.path);
    const field = String(issue.path.at(-1) ?? 'config');
    const secret = field === 'key' || issue.path.at(-2) === 'keys';
    const expected = ARTICLE[issue.expected] ?? `a ${issue.expected}`;
    const gotText = got === undefined ? 'nothing (it is required)' : describe(got, secret);
    return new ConfigError(path, `Expected \`${field}\` to be ${expected}, got ${gotText}${more}`);
  }
  return new ConfigError(path, `is not valid (${issue.code})${more}`);
}

/**
 * V8 quotes a slice of the text after some errors (`Unexpected token 's', ..."keys": [sk-canar"...`);
 * that slice may hold a key, so only the reason is kept, with any quoted text longer than one
 * character dropped, and the position given as a line and column.
 */
export function jsonReason(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message
    .replace(/,\s*(\.\.\.)?".*$/s, '')
    .replace(/"[^"]*"|'[^']{2,}'/g, '…')
    .replace(/\s+is not valid JSON$/, '')
    // Node 22's V8 adds "(line 1 column 70)" itself, Node 20's does not: one form on both.
    .replace(/\s*\(line \d+ column \d+\)/, '');
  const position = /at position (\d+)/.exec(reason)?.[1];
  if (position === undefined) return reason;
  const before = text.slice(0, Number(position)).split('\n');
  return `${reason} (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EmulatorConfigError, parseEmulatorConfig } from './config-schema.js';
import type { EmulatorConfig, EmulatorKey, FaultSpec, LatencySpec, PoolLimits } from './options.js';

/** The flags of `keymux emulate`, as commander hands them over (numbers already checked). */
export interface EmulateFlags {
  readonly port?: number;
  readonly host?: string;
  readonly config?: string;
  readonly key?: readonly string[];
  readonly keys?: number;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly rpd?: number;
  readonly tpd?: number;
  readonly concurrency?: number;
  readonly burst?: number;
  readonly tokenBurst?: number;
  readonly strict?: boolean;
  readonly latency?: string;
  readonly ttft?: number;
  readonly perToken?: number;
  readonly outputTokens?: string;
  readonly seed?: number;
  readonly fault?: readonly string[];
  readonly embeddingDimensions?: number;
  readonly outageMs?: number;
  readonly outageAtMs?: number;
  readonly overload?: number;
  readonly overloadErrorRate?: number;
  readonly overloadLatencyFactor?: number;
  readonly script?: readonly string[];
}

const scriptFlag = z
  .string()
  .regex(/^[\w.-]+=\d{3}(,\d{3})*$/, 'expected name=status,status,… e.g. key-1=503,503,429,200')
  .transform((text): [string, number[]] => {
    const [name = '', steps = ''] = text.split('=');
    return [name, steps.split(',').map(Number)];
  });

function faultModes(flags: EmulateFlags, file: Record<string, unknown>): Record<string, unknown> {
  if (flags.outageAtMs !== undefined && flags.outageMs === undefined)
    throw new EmulatorConfigError('--outage-at-ms needs --outage-ms');
  if ((flags.overloadErrorRate ?? flags.overloadLatencyFactor) !== undefined && flags.overload === undefined)
    throw new EmulatorConfigError('--overload-error-rate and --overload-latency-factor need --overload');
  const scripts = Object.fromEntries((flags.script ?? []).map((s) => flag(scriptFlag, 'script', s)));
  return {
    ...(flags.outageMs === undefined
      ? {}
      : {
          outages: [
            ...(Array.isArray(file.outages) ? file.outages : []),
            { atMs: flags.outageAtMs ?? 0, durationMs: flags.outageMs },
          ],
        }),
    ...(flags.overload === undefined
      ? {}
      : {
          overload: {
            aboveConcurrent: flags.overload,
            ...(flags.overloadErrorRate === undefined ? {} : { errorRate: flags.overloadErrorRate }),
            ...(flags.overloadLatencyFactor === undefined
              ? {}
              : { latencyFactor: flags.overloadLatencyFactor }),
          },
        }),
    ...(Object.keys(scripts).length === 0 ? {} : { scripts: { ...(file.scripts as object), ...scripts } }),
  };
}

const range = z
  .string()
  .regex(/^\d+(-\d+)?$/, 'expected a number of ms or a range like 10-200')
  .transform((text) => {
    const [min = 0, max = min] = text.split('-').map(Number);
    return { min, max };
  })
  .refine((r) => r.max >= r.min, 'the range must not go down');

const keyFlag = z
  .string()
  .regex(/^(?:[\w.-]+=)?\S+$/, 'expected [name=]secret')
  .transform((text): EmulatorKey => {
    const eq = text.indexOf('=');
    return eq > 0 ? { name: text.slice(0, eq), key: text.slice(eq + 1) } : { key: text };
  });

const faultFlag = z
  .string()
  .regex(/^[a-z-]+(:(0(\.\d+)?|1(\.0+)?))?$/, 'expected kind[:rate], e.g. overloaded:0.05')
  .transform((text): FaultSpec => {
    const [kind = '', rate] = text.split(':');
    return { kind, ...(rate === undefined ? {} : { rate: Number(rate) }) } as FaultSpec;
  });

function flag<T>(schema: z.ZodType<T>, name: string, value: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // A --key value is a secret: name the flag, never quote it.
  const shown = name === 'key' ? '' : ` ${JSON.stringify(value)}`;
  throw new EmulatorConfigError(`--${name}${shown}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
}

function readConfigFile(path: string, read: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    throw new EmulatorConfigError(
      `cannot read --config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may hold keys.
    throw new EmulatorConfigError(`--config ${path} is not valid JSON`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new EmulatorConfigError(`--config ${path} must hold a JSON object`);
  }
  return json as Record<string, unknown>;
}

function latencyOf(flags: EmulateFlags): LatencySpec | undefined {
  if (flags.ttft !== undefined || flags.perToken !== undefined) {
    if (flags.latency !== undefined)
      throw new EmulatorConfigError('--latency cannot be combined with --ttft/--per-token');
    return { kind: 'per-token', firstTokenMs: flags.ttft ?? 0, perTokenMs: flags.perToken ?? 0 };
  }
  if (flags.latency === undefined) return undefined;
  const { min, max } = flag(range, 'latency', flags.latency);
  return min === max ? { kind: 'fixed', ms: min } : { kind: 'uniform', minMs: min, maxMs: max };
}

/**
 * Builds the emulator's options: the `--config` file first, then flags over it (keys and faults are added
 * to the file's). Throws `EmulatorConfigError` with a one-line message naming the flag or field; never
 * echoes a key's value.
 */
export function emulatorConfigFromFlags(
  flags: EmulateFlags,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): EmulatorConfig {
  const file = flags.config === undefined ? {} : readConfigFile(flags.config, read);
  const keys: EmulatorKey[] = (flags.key ?? []).map((k) => flag(keyFlag, 'key', k));
  for (let i = 1; i <= (flags.keys ?? 0); i++) keys.push({ name: `key-${i}`, key: `sk-emu-${i}` });
  const limits: PoolLimits = Object.fromEntries(
    (['rpm', 'tpm', 'rpd', 'tpd', 'concurrency', 'burst', 'tokenBurst', 'strict'] as const)
      .filter((name) => flags[name] !== undefined)
      .map((name) => [name, flags[name]]),
  );
  const latency = latencyOf(flags);
  const merged: Record<string, unknown> = {
    ...file,
    ...(flags.port === undefined ? {} : { port: flags.port }),
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(keys.length === 0 ? {} : { keys: [...(Array.isArray(file.keys) ? file.keys : []), ...keys] }),
    ...(Object.keys(limits).length === 0
      ? {}
      : { defaultLimits: { ...(file.defaultLimits as object), ...limits } }),
    ...(latency === undefined ? {} : { latency }),
    ...(flags.outputTokens === undefined
      ? {}
      : { outputTokens: flag(range, 'output-tokens', flags.outputTokens) }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.fault === undefined
      ? {}
      : {
          faults: [
            ...(Array.isArray(file.faults) ? file.faults : []),
            ...flags.fault.map((f) => flag(faultFlag, 'fault', f)),
          ],
        }),
    ...(flags.embeddingDimensions === undefined ? {} : { embeddingDimensions: flags.embeddingDimensions }),
    ...faultModes(flags, file),
  };
  if (merged.keys === undefined)
    throw new EmulatorConfigError('no keys: give --key, --keys <count> or a --config file with "keys"');
  return parseEmulatorConfig(merged);
}

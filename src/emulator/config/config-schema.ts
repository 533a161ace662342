import { z } from 'zod';
import type { EmulatorConfig } from './options.js';

const count = z.number().int().nonnegative();
const positive = z.number().positive();
const provider = z.enum(['openai', 'groq', 'anthropic', 'gemini']);

export const keySchema = z.strictObject({
  key: z.string().min(1),
  name: z.string().min(1).exactOptional(),
  pool: z.string().min(1).exactOptional(),
  provider: provider.exactOptional(),
});

export const limitsSchema = z.strictObject({
  rpm: positive.exactOptional(),
  tpm: positive.exactOptional(),
  rpd: positive.exactOptional(),
  tpd: positive.exactOptional(),
  concurrency: z.number().int().positive().exactOptional(),
  burst: z.number().min(1).exactOptional(),
  tokenBurst: z.number().min(1).exactOptional(),
  strict: z.boolean().exactOptional(),
  perModel: z.boolean().exactOptional(),
});

const latencySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('fixed'), ms: count }),
  z
    .strictObject({ kind: z.literal('uniform'), minMs: count, maxMs: count })
    .refine((l) => l.maxMs >= l.minMs, 'maxMs must be at least minMs'),
  z.strictObject({ kind: z.literal('per-token'), firstTokenMs: count, perTokenMs: count }),
]);

export const faultKindSchema = z.enum([
  'server-error',
  'bad-gateway',
  'unavailable',
  'overloaded',
  'rate-limit',
  'quota',
  'reset',
  'cut',
  'hang',
  'malformed-json',
  'html',
  'stall',
  'unauthorized',
  'context-window',
  'content-policy',
]);

const scriptStatus = z.number().int().min(200).max(599);

export const scriptStepSchema = z.union([
  scriptStatus,
  z
    .strictObject({
      status: scriptStatus.exactOptional(),
      kind: faultKindSchema.exactOptional(),
      retryAfterMs: count.exactOptional(),
      headers: z.record(z.string(), z.string()).exactOptional(),
      cutAfterChunks: count.exactOptional(),
      stallAfterChunks: count.exactOptional(),
    })
    .refine((s) => s.status !== undefined || s.kind !== undefined, 'a step needs a status or a kind'),
]);

export const scriptsSchema = z.record(z.string(), z.array(scriptStepSchema));

export const overloadSchema = z.strictObject({
  aboveConcurrent: count,
  latencyFactor: z.number().min(1).exactOptional(),
  errorRate: z.number().min(0).max(1).exactOptional(),
  kind: z.enum(['overloaded', 'unavailable', 'server-error', 'bad-gateway']).exactOptional(),
  key: z.string().min(1).exactOptional(),
});

const faultSchema = z.strictObject({
  kind: faultKindSchema,
  key: z.string().min(1).exactOptional(),
  provider: provider.exactOptional(),
  model: z.string().min(1).exactOptional(),
  rate: z.number().min(0).max(1).exactOptional(),
  count: count.exactOptional(),
  skip: count.exactOptional(),
  every: z.number().int().positive().exactOptional(),
  fromMs: count.exactOptional(),
  untilMs: count.exactOptional(),
  cutAfterChunks: count.exactOptional(),
  status: z.number().int().min(400).max(599).exactOptional(),
  stallAfterChunks: count.exactOptional(),
  retryAfterMs: count.exactOptional(),
  headers: z.record(z.string(), z.string()).exactOptional(),
});

/** Validates everything `startEmulator` and `keymux emulate --config` accept, except the `now` function. */
export const emulatorConfigSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).exactOptional(),
  host: z.string().min(1).exactOptional(),
  keys: z.array(keySchema).min(1, 'at least one key is needed'),
  pools: z.record(z.string(), limitsSchema).exactOptional(),
  defaultLimits: limitsSchema.exactOptional(),
  latency: latencySchema.exactOptional(),
  outputTokens: z
    .strictObject({ min: count, max: count })
    .refine((o) => o.max >= o.min, 'max must be at least min')
    .exactOptional(),
  seed: z.number().int().exactOptional(),
  faults: z.array(faultSchema).exactOptional(),
  embeddingDimensions: z.number().int().positive().max(8192).exactOptional(),
  scripts: scriptsSchema.exactOptional(),
  overload: overloadSchema.exactOptional(),
  outages: z.array(z.strictObject({ atMs: count, durationMs: count })).exactOptional(),
  batches: z
    .strictObject({
      timeScale: positive.exactOptional(),
      validatingMs: count.exactOptional(),
      processingMs: count.exactOptional(),
      finalizingMs: count.exactOptional(),
      failRate: z.number().min(0).max(1).exactOptional(),
      expireRate: z.number().min(0).max(1).exactOptional(),
    })
    .exactOptional(),
}) satisfies z.ZodType<EmulatorConfig>;

export const faultSpecSchema = faultSchema;

/** Bad emulator options; the message names the field (`keys[0].key: …`) and never the key's value. */
export class EmulatorConfigError extends Error {
  readonly code = 'EMULATOR_CONFIG';
  override readonly name = 'EmulatorConfigError';
}

/** One line per issue, joined: `pools.a.rpm: Too small: expected number to be >0`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
        .join('');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses unknown input into an `EmulatorConfig`, or throws `EmulatorConfigError`. */
export function parseEmulatorConfig(input: unknown): EmulatorConfig {
  const result = emulatorConfigSchema.safeParse(input);
  if (!result.success) throw new EmulatorConfigError(describeIssues(result.error));
  return result.data;
}

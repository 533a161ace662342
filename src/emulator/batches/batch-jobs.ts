import type { BatchSpec, ProviderName } from '../config/options.js';
import type { ChatAnswer, ChatRequest, Dialect } from '../dialects/dialect.js';
import { generateText } from '../dialects/text-gen.js';
import { hashText, type Random, seededRandom } from '../random.js';

/** What happens to one line: answered, a 500, left undone at the window's end, or refused as invalid. */
export type LineFate = 'succeeded' | 'failed' | 'expired' | 'invalid';

export interface BatchLine {
  readonly customId: string;
  /** The parsed request, or the 400 message when the line's body is not a valid request. */
  readonly request: ChatRequest | string;
  readonly fate: LineFate;
  /** Provider ms after processing began at which the line is done. */
  readonly doneAt: number;
}

/** A line once the batch has ended: its fate (`canceled` when the cancel came first) and its answer. */
export interface LineResult {
  readonly customId: string;
  readonly outcome: LineFate | 'canceled';
  readonly answer: ChatAnswer | undefined;
  readonly request: ChatRequest | string;
}

/** Where a batch is, on the provider's clock. */
export type Phase = 'validating' | 'in_progress' | 'finalizing' | 'cancelling' | 'ended';

/** A batch of either provider: its lines and timeline; the wire objects are built from it. */
export interface BatchJob {
  readonly id: string;
  readonly provider: Extract<ProviderName, 'openai' | 'anthropic'>;
  /** The quota pool (the organization) that owns it; other pools get a 404. */
  readonly pool: string;
  readonly key: string;
  readonly endpoint: string;
  readonly inputFileId: string | undefined;
  readonly metadata: unknown;
  readonly lines: readonly BatchLine[];
  /** Emulator ms. */
  readonly createdAt: number;
  /** Why validation failed (OpenAI `failed`), or undefined. */
  readonly invalid: string | undefined;
  /** Provider ms after creation at which a cancel was asked for. */
  cancelAt: number | undefined;
  results: readonly LineResult[] | undefined;
  outputFileId: string | undefined;
  errorFileId: string | undefined;
}

/** Milestones in provider ms after creation. */
export interface Timeline {
  readonly inProgressAt: number;
  readonly finalizingAt: number;
  readonly endedAt: number;
}

export function timeline(job: BatchJob, spec: Required<BatchSpec>): Timeline {
  const validating = job.provider === 'openai' ? spec.validatingMs : 0;
  if (job.invalid !== undefined)
    return { inProgressAt: validating, finalizingAt: validating, endedAt: validating };
  const finalizingAt = validating + spec.processingMs;
  if (job.cancelAt !== undefined && job.cancelAt < finalizingAt) {
    const endedAt = Math.max(job.cancelAt, validating) + spec.finalizingMs;
    return { inProgressAt: validating, finalizingAt: endedAt, endedAt };
  }
  return { inProgressAt: validating, finalizingAt, endedAt: finalizingAt + spec.finalizingMs };
}

/** Provider ms since the batch was created. */
export function elapsed(job: BatchJob, now: number, spec: Required<BatchSpec>): number {
  return Math.max(0, (now - job.createdAt) * spec.timeScale);
}

export function phaseAt(job: BatchJob, at: number, spec: Required<BatchSpec>): Phase {
  const t = timeline(job, spec);
  if (at >= t.endedAt) return 'ended';
  if (job.cancelAt !== undefined && at >= job.cancelAt) return 'cancelling';
  if (at < t.inProgressAt) return 'validating';
  return at < t.finalizingAt ? 'in_progress' : 'finalizing';
}

/** Lines done (answered, failed or invalid) by provider time `at`. */
export function linesDoneBy(job: BatchJob, at: number, spec: Required<BatchSpec>): readonly BatchLine[] {
  const start = timeline(job, spec).inProgressAt;
  const until = job.cancelAt === undefined ? at : Math.min(at, job.cancelAt);
  return job.lines.filter((line) => line.fate !== 'expired' && start + line.doneAt <= until);
}

/** Each line's fate, drawn from a random seeded by the emulator's seed and the batch id (not the shared stream). */
export function drawLines(
  entries: readonly { readonly customId: string; readonly request: ChatRequest | string }[],
  spec: Required<BatchSpec>,
  seed: number,
  batchId: string,
): BatchLine[] {
  const random = seededRandom(seed ^ hashText(batchId));
  const n = entries.length;
  return entries.map((entry, i) => {
    const draw = random();
    const fate: LineFate =
      typeof entry.request === 'string'
        ? 'invalid'
        : draw < spec.failRate
          ? 'failed'
          : draw < spec.failRate + spec.expireRate
            ? 'expired'
            : 'succeeded';
    return {
      customId: entry.customId,
      request: entry.request,
      fate,
      doneAt: (spec.processingMs * (i + 1)) / n,
    };
  });
}

/** The lines' final results, answers generated once (the batch's own seeded random). */
export function settleLines(
  job: BatchJob,
  spec: Required<BatchSpec>,
  seed: number,
  outputTokens: { readonly min: number; readonly max: number },
  dialect: Dialect,
): readonly LineResult[] {
  if (job.results !== undefined) return job.results;
  const random: Random = seededRandom((seed + 1) ^ hashText(job.id));
  const done = new Set(linesDoneBy(job, Number.POSITIVE_INFINITY, spec).map((l) => l.customId));
  let n = 0;
  job.results = job.lines.map((line): LineResult => {
    const request = line.request;
    if (line.fate === 'expired' || !done.has(line.customId))
      return {
        customId: line.customId,
        outcome: line.fate === 'expired' ? 'expired' : 'canceled',
        answer: undefined,
        request,
      };
    if (line.fate !== 'succeeded' || typeof request === 'string')
      return { customId: line.customId, outcome: line.fate, answer: undefined, request };
    const generated = generateText(random, outputTokens, request.maxTokens);
    n++;
    const suffix = `${job.id.slice(-8)}${n.toString(16).padStart(8, '0')}`;
    const answer: ChatAnswer = {
      id: dialect.provider === 'anthropic' ? `msg_emub${suffix}` : `chatcmpl-emub${suffix}`,
      model: request.model,
      created: Math.floor(job.createdAt / 1000),
      ...generated,
      inputTokens: request.inputTokens,
      outputTokens: generated.pieces.length,
    };
    return { customId: line.customId, outcome: 'succeeded', answer, request };
  });
  return job.results;
}

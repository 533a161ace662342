import { createAnthropicDialect } from '../dialects/anthropic-dialect.js';
import { anthropicMessage } from '../dialects/anthropic-format.js';
import type { Dialect, Reply } from '../dialects/dialect.js';
import { isRecord } from '../dialects/dialect.js';
import { type BatchCall, type BatchReply, openJob } from './batch-call.js';
import {
  type BatchJob,
  elapsed,
  type LineResult,
  linesDoneBy,
  phaseAt,
  settleLines,
  timeline,
} from './batch-jobs.js';

// Shapes follow @anthropic-ai/sdk resources/messages/batches.ts (`MessageBatch`, `MessageBatchRequestCounts`,
// `MessageBatchIndividualResponse`) and platform.claude.com/docs/en/api/messages/batches: at most 100 000
// requests or 256 MB per batch, `processing_status` in_progress → canceling → ended, results as JSONL
// at `results_url` (succeeded / errored / canceled / expired), in any order.
export const ANTHROPIC_MAX_REQUESTS = 100_000;
export const ANTHROPIC_MAX_BYTES = 256 * 1024 * 1024;

const anthropic: Dialect = createAnthropicDialect();
const invalid = (message: string): Reply => anthropic.problem({ kind: 'invalid', message });
const notFound = (id: string): Reply =>
  anthropic.problem({ kind: 'not-found', message: `No message batch found with id '${id}'.` });
const ok = (body: unknown): Reply => ({ status: 200, headers: {}, body });
const iso = (ms: number): string => new Date(ms).toISOString();

/** `POST /v1/messages/batches`. */
export function createMessageBatch(c: BatchCall): BatchReply {
  if (c.body.length > ANTHROPIC_MAX_BYTES)
    return { status: 413, headers: {}, body: tooLarge(`larger than ${ANTHROPIC_MAX_BYTES} bytes`) };
  const body = c.json();
  if (!isRecord(body) || !Array.isArray(body.requests) || body.requests.length === 0)
    return invalid('requests: Field required (a non-empty list of { custom_id, params }).');
  if (body.requests.length > ANTHROPIC_MAX_REQUESTS)
    return invalid(`requests: at most ${ANTHROPIC_MAX_REQUESTS} requests per batch.`);
  const seen = new Set<string>();
  const entries: { customId: string; request: ReturnType<Dialect['parseChat']> }[] = [];
  for (const [i, r] of body.requests.entries()) {
    if (!isRecord(r) || typeof r.custom_id !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(r.custom_id))
      return invalid(`requests.${i}.custom_id: 1 to 64 letters, digits, '-' or '_'.`);
    if (seen.has(r.custom_id)) return invalid(`requests.${i}.custom_id: duplicate '${r.custom_id}'.`);
    seen.add(r.custom_id);
    if (isRecord(r.params) && r.params.stream === true)
      return invalid(`requests.${i}.params.stream: streaming is not supported in batches.`);
    entries.push({ customId: r.custom_id, request: anthropic.parseChat(r.params, c.url) });
  }
  const id = c.store.nextId('msgbatch_');
  const job = openJob(
    c,
    {
      id,
      provider: 'anthropic',
      endpoint: '/v1/messages',
      inputFileId: undefined,
      metadata: null,
      invalid: undefined,
    },
    entries,
  );
  return ok(batchObject(c, job));
}

const tooLarge = (what: string): unknown => ({
  type: 'error',
  error: { type: 'request_too_large', message: `Request exceeds the maximum allowed size: ${what}.` },
});

export function retrieveMessageBatch(c: BatchCall, id: string): BatchReply {
  const job = c.store.job(id, c.pool, 'anthropic');
  return job === undefined ? notFound(id) : ok(batchObject(c, job));
}

export function cancelMessageBatch(c: BatchCall, id: string): BatchReply {
  const job = c.store.job(id, c.pool, 'anthropic');
  if (job === undefined) return notFound(id);
  if (phaseAt(job, elapsed(job, c.now, c.spec), c.spec) === 'in_progress')
    job.cancelAt = elapsed(job, c.now, c.spec);
  return ok(batchObject(c, job));
}

/** `GET /v1/messages/batches?limit&after_id`, newest first. */
export function listMessageBatches(c: BatchCall): BatchReply {
  const q = c.url.searchParams;
  const { page, hasMore } = c.store.page(c.pool, 'anthropic', q.get('after_id'), q.get('limit'), 1000);
  return ok({
    data: page.map((j) => batchObject(c, j)),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
  });
}

/** `GET /v1/messages/batches/:id/results`: JSONL, once the batch has ended. */
export function messageBatchResults(c: BatchCall, id: string): BatchReply {
  const job = c.store.job(id, c.pool, 'anthropic');
  if (job === undefined) return notFound(id);
  if (phaseAt(job, elapsed(job, c.now, c.spec), c.spec) !== 'ended')
    return invalid(`Message batch ${id} has not ended yet; its results are not available.`);
  const results = settleLines(job, c.spec, c.seed, c.outputTokens, anthropic);
  const text = results
    .map((r) => JSON.stringify({ custom_id: r.customId, result: result(r, job) }))
    .join('\n');
  return { bytes: Buffer.from(`${text}\n`, 'utf8'), contentType: 'application/binary' };
}

function result(r: LineResult, job: BatchJob): unknown {
  switch (r.outcome) {
    case 'succeeded':
      return { type: 'succeeded', message: r.answer === undefined ? null : anthropicMessage(r.answer) };
    case 'invalid':
      return { type: 'errored', error: { ...(invalid(String(r.request)).body as object), request_id: null } };
    case 'failed': {
      const model = typeof r.request === 'string' ? '' : r.request.model;
      const reply = anthropic.problem({ kind: 'fault', fault: 'server-error', model });
      return {
        type: 'errored',
        error: { ...(reply.body as object), request_id: `req_emub${job.id.slice(-12)}` },
      };
    }
    case 'expired':
      return { type: 'expired' };
    case 'canceled':
      return { type: 'canceled' };
  }
}

function batchObject(c: BatchCall, job: BatchJob): unknown {
  const at = elapsed(job, c.now, c.spec);
  const phase = phaseAt(job, at, c.spec);
  const wall = (providerMs: number): string => iso(job.createdAt + providerMs / c.spec.timeScale);
  const ended = phase === 'ended';
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  if (ended) {
    for (const r of settleLines(job, c.spec, c.seed, c.outputTokens, anthropic)) {
      if (r.outcome === 'succeeded') counts.succeeded++;
      else if (r.outcome === 'expired') counts.expired++;
      else if (r.outcome === 'canceled') counts.canceled++;
      else counts.errored++;
    }
  } else {
    const done = linesDoneBy(job, at, c.spec);
    counts.succeeded = done.filter((l) => l.fate === 'succeeded').length;
    counts.errored = done.length - counts.succeeded;
    counts.processing = job.lines.length - done.length;
  }
  return {
    id: job.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : phase === 'cancelling' ? 'canceling' : 'in_progress',
    request_counts: counts,
    ended_at: ended ? wall(timeline(job, c.spec).endedAt) : null,
    created_at: iso(job.createdAt),
    expires_at: wall(24 * 3_600_000),
    archived_at: null,
    cancel_initiated_at: job.cancelAt === undefined ? null : wall(job.cancelAt),
    results_url: ended ? `${c.origin}/v1/messages/batches/${job.id}/results` : null,
  };
}

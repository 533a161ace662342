import type { Dialect, Reply } from '../dialects/dialect.js';
import { isRecord } from '../dialects/dialect.js';
import { createOpenAIDialect } from '../dialects/openai-dialect.js';
import { type BatchCall, type BatchReply, openJob } from './batch-call.js';
import { type BatchJob, elapsed, linesDoneBy, phaseAt, settleLines, timeline } from './batch-jobs.js';
import { writeResultFiles } from './openai-output.js';

// Shapes follow openai-node src/resources/batches.ts (`Batch`, `BatchRequestCounts`) and files.ts
// (`FileObject`), and the Batch guide (platform.openai.com/docs/guides/batch): an input file of at most
// 50 000 requests and 200 MB, `completion_window: "24h"` only, output and error files of JSONL lines
// `{ id, custom_id, response: { status_code, request_id, body } | null, error: { code, message } | null }`,
// `batch_expired` for lines the window closed on.
export const OPENAI_MAX_REQUESTS = 50_000;
export const OPENAI_MAX_FILE_BYTES = 200 * 1024 * 1024;
const ENDPOINTS = new Set(['/v1/chat/completions']);

const openai: Dialect = createOpenAIDialect('openai');
const invalid = (message: string): Reply => openai.problem({ kind: 'invalid', message });
const notFound = (message: string): Reply => openai.problem({ kind: 'not-found', message });
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** `POST /v1/files` (multipart: `file`, `purpose`). */
export async function uploadFile(c: BatchCall): Promise<BatchReply> {
  let form: FormData;
  try {
    form = await new Request('http://emulator/v1/files', {
      method: 'POST',
      headers: { 'content-type': c.contentType },
      body: c.body,
    }).formData();
  } catch {
    return invalid('Expected a multipart/form-data body with `file` and `purpose`.');
  }
  const file = form.get('file');
  const purpose = form.get('purpose');
  if (!(file instanceof Blob)) return invalid("Missing required parameter: 'file'.");
  if (typeof purpose !== 'string' || purpose === '') return invalid("Missing required parameter: 'purpose'.");
  if (purpose === 'batch' && file.size > OPENAI_MAX_FILE_BYTES)
    return invalid(`File is too large: a batch input file may be up to ${OPENAI_MAX_FILE_BYTES} bytes.`);
  const stored = {
    id: c.store.nextId('file-'),
    pool: c.pool,
    filename: file instanceof File ? file.name : 'upload',
    purpose,
    bytes: Buffer.from(await file.arrayBuffer()),
    createdAt: c.now,
  };
  c.store.files.set(stored.id, stored);
  return ok(fileObject(stored));
}

function fileObject(f: { id: string; bytes: Buffer; createdAt: number; filename: string; purpose: string }) {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes.length,
    created_at: seconds(f.createdAt),
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
  };
}

const ok = (body: unknown): Reply => ({ status: 200, headers: {}, body });

/** `GET /v1/files/:id` and `/v1/files/:id/content`. */
export function readFile(c: BatchCall, id: string, content: boolean): BatchReply {
  const file = c.store.file(id, c.pool);
  if (file === undefined) return notFound(`No such File object: ${id}`);
  return content ? { bytes: file.bytes, contentType: 'application/octet-stream' } : ok(fileObject(file));
}

/** The input file's lines; a string says why the batch fails validation. */
function parseInput(text: string, endpoint: string): { customId: string; body: unknown }[] | string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return 'The input file is empty.';
  if (lines.length > OPENAI_MAX_REQUESTS)
    return `The batch input file has ${lines.length} requests; the limit is ${OPENAI_MAX_REQUESTS}.`;
  const seen = new Set<string>();
  const out: { customId: string; body: unknown }[] = [];
  for (const [i, line] of lines.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return `Line ${i + 1} is not valid JSON.`;
    }
    if (!isRecord(value) || typeof value.custom_id !== 'string' || value.custom_id === '')
      return `Line ${i + 1} has no custom_id.`;
    if (value.method !== 'POST' || value.url !== endpoint)
      return `Line ${i + 1}: method must be POST and url ${endpoint}, the batch's endpoint.`;
    if (seen.has(value.custom_id)) return `Line ${i + 1}: the custom_id ${value.custom_id} is a duplicate.`;
    seen.add(value.custom_id);
    out.push({ customId: value.custom_id, body: value.body });
  }
  return out;
}

/** `POST /v1/batches`. */
export function createBatch(c: BatchCall): BatchReply {
  const body = c.json();
  if (!isRecord(body)) return invalid('Expected a JSON object.');
  const { input_file_id: fileId, endpoint, completion_window: window } = body;
  if (typeof fileId !== 'string') return invalid("Missing required parameter: 'input_file_id'.");
  if (typeof endpoint !== 'string' || !ENDPOINTS.has(endpoint))
    return invalid(`Invalid 'endpoint': the emulator batches ${[...ENDPOINTS].join(', ')}.`);
  if (window !== '24h') return invalid("Invalid 'completion_window': only '24h' is supported.");
  const file = c.store.file(fileId, c.pool);
  if (file === undefined) return notFound(`No such File object: ${fileId}`);
  if (file.purpose !== 'batch') return invalid(`File ${fileId} was not uploaded with purpose 'batch'.`);
  const id = c.store.nextId('batch_');
  const parsed = parseInput(file.bytes.toString('utf8'), endpoint);
  const entries =
    typeof parsed === 'string'
      ? []
      : parsed.map((e) => ({ customId: e.customId, request: openai.parseChat(e.body, c.url) }));
  const job = openJob(
    c,
    {
      id,
      provider: 'openai',
      endpoint,
      inputFileId: fileId,
      metadata: body.metadata ?? null,
      invalid: typeof parsed === 'string' ? parsed : undefined,
    },
    entries,
  );
  return ok(batchObject(c, job));
}

/** `GET /v1/batches/:id`. */
export function retrieveBatch(c: BatchCall, id: string): BatchReply {
  const job = c.store.job(id, c.pool, 'openai');
  return job === undefined ? notFound(`No batch found with id '${id}'.`) : ok(batchObject(c, job));
}

/** `POST /v1/batches/:id/cancel`: `cancelling`, then `cancelled` with the lines done so far. */
export function cancelBatch(c: BatchCall, id: string): BatchReply {
  const job = c.store.job(id, c.pool, 'openai');
  if (job === undefined) return notFound(`No batch found with id '${id}'.`);
  const phase = phaseAt(job, elapsed(job, c.now, c.spec), c.spec);
  if (phase !== 'validating' && phase !== 'in_progress' && phase !== 'cancelling')
    return invalid(`Cannot cancel a batch with status '${batchObject(c, job).status}'.`);
  job.cancelAt ??= elapsed(job, c.now, c.spec);
  return ok(batchObject(c, job));
}

/** `GET /v1/batches?limit&after`: a cursor page, newest first. */
export function listBatches(c: BatchCall): BatchReply {
  const q = c.url.searchParams;
  const { page, hasMore } = c.store.page(c.pool, 'openai', q.get('after'), q.get('limit'), 100);
  return ok({
    object: 'list',
    data: page.map((j) => batchObject(c, j)),
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: hasMore,
  });
}

function batchObject(c: BatchCall, job: BatchJob): Record<string, unknown> {
  const at = elapsed(job, c.now, c.spec);
  const t = timeline(job, c.spec);
  const phase = phaseAt(job, at, c.spec);
  const when = (providerMs: number): number => seconds(job.createdAt + providerMs / c.spec.timeScale);
  const total = job.lines.length;
  const base = {
    id: job.id,
    object: 'batch',
    endpoint: job.endpoint,
    errors: null as unknown,
    input_file_id: job.inputFileId,
    completion_window: '24h',
    created_at: seconds(job.createdAt),
    expires_at: seconds(job.createdAt + (24 * 3_600_000) / c.spec.timeScale),
    metadata: job.metadata,
  };
  if (job.invalid !== undefined) {
    const failed = phase === 'ended';
    return {
      ...base,
      status: failed ? 'failed' : 'validating',
      ...(failed && {
        failed_at: when(t.endedAt),
        errors: { object: 'list', data: [{ code: 'invalid_request', message: job.invalid, line: null }] },
      }),
      request_counts: { total: 0, completed: 0, failed: 0 },
    };
  }
  const done = linesDoneBy(job, at, c.spec);
  const counts = {
    total,
    completed: done.filter((l) => l.fate === 'succeeded').length,
    failed: done.filter((l) => l.fate !== 'succeeded').length,
  };
  const stamps = {
    ...(at >= t.inProgressAt && { in_progress_at: when(t.inProgressAt) }),
    ...(job.cancelAt !== undefined && { cancelling_at: when(job.cancelAt) }),
    ...(job.cancelAt === undefined && at >= t.finalizingAt && { finalizing_at: when(t.finalizingAt) }),
  };
  if (phase !== 'ended') {
    const status = phase === 'cancelling' ? 'cancelling' : phase;
    return { ...base, status, ...stamps, request_counts: counts };
  }
  const results = settleLines(job, c.spec, c.seed, c.outputTokens, openai);
  writeResultFiles(c, job, results);
  const expired = results.some((r) => r.outcome === 'expired');
  const cancelled = job.cancelAt !== undefined;
  const status = cancelled ? 'cancelled' : expired ? 'expired' : 'completed';
  const endKey = cancelled ? 'cancelled_at' : expired ? 'expired_at' : 'completed_at';
  const succeeded = results.filter((r) => r.outcome === 'succeeded').length;
  return {
    ...base,
    status,
    ...stamps,
    [endKey]: when(t.endedAt),
    output_file_id: job.outputFileId,
    error_file_id: job.errorFileId,
    request_counts: { total, completed: succeeded, failed: total - succeeded },
  };
}

import type { Dialect, Reply } from '../dialects/dialect.js';
import { createOpenAIDialect } from '../dialects/openai-dialect.js';
import type { BatchCall } from './batch-call.js';
import type { BatchJob, BatchLine, LineResult } from './batch-jobs.js';

const openai: Dialect = createOpenAIDialect('openai');
const ok = (body: unknown): Reply => ({ status: 200, headers: {}, body });

/** The output file (answered lines) and error file (every other line), made once when the batch ends. */
export function writeResultFiles(c: BatchCall, job: BatchJob, results: readonly LineResult[]): void {
  if (job.outputFileId !== undefined || job.errorFileId !== undefined) return;
  const output: string[] = [];
  const errors: string[] = [];
  for (const [i, r] of results.entries()) {
    const line = resultLine(job, i, r);
    (r.outcome === 'succeeded' ? output : errors).push(JSON.stringify(line));
  }
  const store = (lines: string[], name: string): string | undefined => {
    if (lines.length === 0) return undefined;
    const id = c.store.nextId('file-');
    const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    c.store.files.set(id, {
      id,
      pool: job.pool,
      filename: name,
      purpose: 'batch_output',
      bytes,
      createdAt: c.now,
    });
    return id;
  };
  job.outputFileId = store(output, `${job.id}_output.jsonl`);
  job.errorFileId = store(errors, `${job.id}_error.jsonl`);
}

function resultLine(job: BatchJob, i: number, r: LineResult): unknown {
  const id = `batch_req_${job.id.slice(-12)}${i.toString(16).padStart(8, '0')}`;
  const requestId = `req_emub${job.id.slice(-12)}${i.toString(16).padStart(8, '0')}`;
  const response = (reply: Reply) => ({ status_code: reply.status, request_id: requestId, body: reply.body });
  switch (r.outcome) {
    case 'succeeded':
      if (r.answer === undefined || typeof r.request === 'string') break;
      return {
        id,
        custom_id: r.customId,
        response: response(ok(openai.chatBody(r.answer, r.request))),
        error: null,
      };
    case 'invalid':
      return {
        id,
        custom_id: r.customId,
        response: response(openai.problem({ kind: 'invalid', message: String(r.request) })),
        error: null,
      };
    case 'failed':
      return {
        id,
        custom_id: r.customId,
        response: response(openai.problem({ kind: 'fault', fault: 'server-error', model: modelOf(r) })),
        error: null,
      };
    case 'expired':
      return {
        id,
        custom_id: r.customId,
        response: null,
        error: {
          code: 'batch_expired',
          message: 'This request could not be executed before the completion window expired.',
        },
      };
    case 'canceled':
      break;
  }
  return {
    id,
    custom_id: r.customId,
    response: null,
    error: {
      code: 'batch_cancelled',
      message: 'This request was not executed because the batch was cancelled.',
    },
  };
}

const modelOf = (r: { request: BatchLine['request'] }): string =>
  typeof r.request === 'string' ? '' : r.request.model;

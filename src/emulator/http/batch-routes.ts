import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ANTHROPIC_MAX_BYTES,
  cancelMessageBatch,
  createMessageBatch,
  listMessageBatches,
  messageBatchResults,
  retrieveMessageBatch,
} from '../batches/anthropic-batches.js';
import type { BatchCall, BatchReply } from '../batches/batch-call.js';
import {
  cancelBatch,
  createBatch,
  listBatches,
  OPENAI_MAX_FILE_BYTES,
  readFile,
  retrieveBatch,
  uploadFile,
} from '../batches/openai-batches.js';
import type { EmulatorContext } from '../context.js';
import { missingAnthropicVersion } from '../dialects/anthropic-dialect.js';
import { header } from '../dialects/dialect.js';
import { readRawBody, sendBytes, sendJson } from './http-io.js';
import { dialectForPath } from './routes.js';

type Handler = (c: BatchCall, id: string) => BatchReply | Promise<BatchReply>;

const ROUTES: readonly (readonly [string, RegExp, Handler])[] = [
  ['POST', /^\/v1\/files$/, (c) => uploadFile(c)],
  ['GET', /^\/v1\/files\/([^/]+)$/, (c, id) => readFile(c, id, false)],
  ['GET', /^\/v1\/files\/([^/]+)\/content$/, (c, id) => readFile(c, id, true)],
  ['POST', /^\/v1\/batches$/, (c) => createBatch(c)],
  ['GET', /^\/v1\/batches$/, (c) => listBatches(c)],
  ['GET', /^\/v1\/batches\/([^/]+)$/, retrieveBatch],
  ['POST', /^\/v1\/batches\/([^/]+)\/cancel$/, cancelBatch],
  ['POST', /^\/v1\/messages\/batches$/, (c) => createMessageBatch(c)],
  ['GET', /^\/v1\/messages\/batches$/, (c) => listMessageBatches(c)],
  ['GET', /^\/v1\/messages\/batches\/([^/]+)$/, retrieveMessageBatch],
  ['GET', /^\/v1\/messages\/batches\/([^/]+)\/results$/, messageBatchResults],
  ['POST', /^\/v1\/messages\/batches\/([^/]+)\/cancel$/, cancelMessageBatch],
];

/**
 * Serves the Batch APIs (OpenAI Files and Batches, Anthropic Message Batches) when the request is one of
 * theirs; false otherwise. They are not charged to the pools' synchronous limits, as with the providers.
 */
export async function handleBatchRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const path = url.pathname.replace(/\/+$/, '');
  let handler: Handler | undefined;
  let id = '';
  for (const [method, pattern, h] of ROUTES) {
    const match = req.method === method ? pattern.exec(path) : null;
    if (match !== null) {
      handler = h;
      id = decodeURIComponent(match[1] ?? '');
      break;
    }
  }
  if (handler === undefined) return false;
  const dialect = dialectForPath(path);
  const anthropic = dialect.provider === 'anthropic';
  const body = await readRawBody(req, anthropic ? ANTHROPIC_MAX_BYTES + 1 : OPENAI_MAX_FILE_BYTES * 2);
  const sentKey = dialect.apiKey(req, url);
  const key = sentKey === undefined ? undefined : ctx.keys.byValue(sentKey);
  const send = (reply: BatchReply): void => {
    const idHeaders = dialect.idHeaders(`req_emu${ctx.nextId().toString(16).padStart(12, '0')}`);
    if ('bytes' in reply) sendBytes(res, idHeaders, reply.bytes, reply.contentType);
    else sendJson(res, reply.status, { ...idHeaders, ...reply.headers }, reply.body);
  };
  if (key === undefined || (key.provider !== undefined && key.provider !== dialect.provider)) {
    send(dialect.problem({ kind: 'unauthorized', missing: sentKey === undefined }));
    return true;
  }
  if (anthropic && missingAnthropicVersion(req)) {
    send(dialect.problem({ kind: 'invalid', message: 'anthropic-version: header is required' }));
    return true;
  }
  if (body instanceof Error) {
    send(dialect.problem({ kind: 'invalid', message: body.message }));
    return true;
  }
  let parsed: unknown;
  const call: BatchCall = {
    store: ctx.batches,
    spec: ctx.options.batches,
    seed: ctx.options.seed,
    outputTokens: ctx.options.outputTokens,
    now: ctx.options.now(),
    url,
    origin: `http://${header(req, 'host') ?? 'localhost'}`,
    key: key.name,
    pool: key.pool,
    contentType: header(req, 'content-type') ?? '',
    body,
    json() {
      if (parsed === undefined) {
        try {
          parsed = JSON.parse(body.toString('utf8')) as unknown;
        } catch {
          parsed = new Error('request body is not valid JSON');
        }
      }
      return parsed;
    },
  };
  send(await handler(call, id));
  return true;
}

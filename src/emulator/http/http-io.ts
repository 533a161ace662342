import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Reads and parses a JSON body; `undefined` when empty, an Error when not JSON or too large. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return new Error('request body too large');
    chunks.push(buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return new Error('request body is not valid JSON');
  }
}

/** Resolves after `ms`, or at once (with `false`) when the signal aborts; 0 ms costs no timer. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Writes a whole JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, statusText(status), {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Node knows no reason phrase for 529; the SDKs show it, so give Anthropic's. */
export function statusText(status: number): string | undefined {
  return status === 529 ? 'Site Overloaded' : undefined;
}

/** The raw body, or an Error when larger than `maxBytes` (the Batch APIs take files of hundreds of MB). */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | Error> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return new Error(`request body larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes a whole non-JSON answer (a file's content, JSONL results). */
export function sendBytes(
  res: ServerResponse,
  headers: Record<string, string>,
  bytes: Buffer,
  contentType: string,
): void {
  res.writeHead(200, { ...headers, 'content-type': contentType, 'content-length': String(bytes.length) });
  res.end(bytes);
}

import type { ServerResponse } from 'node:http';
import type { GatewayObserver, JobResult } from './gateway-job.js';
import { SseUsage } from './sse-usage.js';

const PASSED_HEADERS = [
  'content-type',
  'x-request-id',
  'request-id',
  'openai-processing-ms',
  'openai-version',
];

/** The provider's headers a client may see; limit headers belong to one key of the pool, so they stay. */
export function relayedHeaders(result: JobResult): Record<string, string> {
  const headers: Record<string, string> = { 'x-keymux-key': result.key.name };
  for (const name of PASSED_HEADERS) {
    const value = result.response.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function writable(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

/**
 * Pipes an SSE answer to the client chunk by chunk as it arrives, waiting for the client when its
 * socket is full (backpressure). A client that goes away cancels the upstream body; an upstream that
 * breaks off cuts the client's connection too, as the provider would have. The key's slot is freed
 * when the relay ends, either way.
 */
export async function relayStream(
  result: Extract<JobResult, { kind: 'stream' }>,
  raw: ServerResponse,
  startedAt: number,
  observer: GatewayObserver,
  provider: string,
): Promise<void> {
  const usage = new SseUsage();
  const body = result.response.body;
  const cancel = (): void => {
    body.destroy();
  };
  raw.on('close', cancel);
  let first = true;
  try {
    if (raw.destroyed) return;
    raw.writeHead(result.response.status, relayedHeaders(result));
    raw.flushHeaders();
    // The iterator reads the next chunk only when asked: a slow client slows the upstream read.
    for await (const value of body as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        observer.firstToken(provider, result.key.name, (performance.now() - startedAt) / 1000);
      }
      usage.push(value);
      if (raw.destroyed) break;
      if (!raw.write(value)) await writable(raw);
    }
    raw.end();
  } catch {
    raw.destroy();
  } finally {
    raw.off('close', cancel);
    cancel();
    result.finish(usage.usage);
  }
}

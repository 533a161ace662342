import type { ServerResponse } from 'node:http';
import type { SecretScrubber } from '../core/redact.js';
import type { Dialect } from './error-body.js';
import type { GatewayObserver, JobResult } from './gateway-job.js';
import { SseUsage } from './sse-usage.js';
import { endsAtEventBoundary, streamErrorEvent } from './stream-error-event.js';

const PASSED_HEADERS = [
  'content-type',
  'x-request-id',
  'request-id',
  'openai-processing-ms',
  'openai-version',
];

/** The provider's headers a client may see; limit headers belong to one key of the pool, so they stay. */
export function relayedHeaders(
  result: JobResult,
  extra: Record<string, string> = {},
): Record<string, string> {
  const headers: Record<string, string> = { 'x-keymux-key': result.key.name, ...extra };
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

/** What a relay reports to, and scrubs with. */
export interface RelayDeps {
  readonly observer: GatewayObserver;
  readonly scrubber: SecretScrubber;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/**
 * Pipes an SSE answer to the client chunk by chunk as it arrives, waiting for the client when its
 * socket is full (backpressure). A client that goes away cancels the upstream body, no fault of the
 * key. An upstream that breaks off or stalls (`streamIdleTimeoutMs`) is a failure of its key (stats,
 * metrics, breaker), and the client gets an error event in its provider's shape before the stream
 * ends. The key's slot is freed when the relay ends, either way.
 */
export async function relayStream(
  result: Extract<JobResult, { kind: 'stream' }>,
  raw: ServerResponse,
  startedAt: number,
  deps: RelayDeps,
  dialect: Dialect,
  /** Headers keymux adds (who served). */
  extra: Record<string, string> = {},
): Promise<void> {
  const usage = new SseUsage();
  const body = result.response.body;
  let clientGone = false;
  const cancel = (): void => {
    if (!raw.writableFinished) clientGone = true;
    body.destroy();
  };
  raw.on('close', cancel);
  let first = true;
  let last: Uint8Array | undefined;
  let failure: unknown;
  try {
    if (raw.destroyed) return;
    raw.writeHead(result.response.status, relayedHeaders(result, extra));
    raw.flushHeaders();
    // The iterator reads the next chunk only when asked: a slow client slows the upstream read.
    for await (const value of body as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        deps.observer.firstToken(
          result.key.provider,
          result.key.name,
          (performance.now() - startedAt) / 1000,
        );
      }
      usage.push(value);
      if (raw.destroyed) break;
      last = value;
      if (!raw.write(value)) await writable(raw);
    }
    raw.end();
  } catch (error) {
    if (clientGone || raw.destroyed) {
      raw.destroy();
    } else {
      failure = error;
      const message = deps.scrubber.scrub(
        `keymux: the provider's stream broke off on key ${result.key.name}: ${reason(error)}`,
      );
      if (!endsAtEventBoundary(last)) raw.write('\n\n');
      raw.end(streamErrorEvent(dialect, message));
    }
  } finally {
    raw.off('close', cancel);
    cancel();
    result.finish(usage.usage, failure);
  }
}

import type { KeyRef, TokenUsage } from '../core/events.js';
import type { SecretScrubber } from '../core/redact.js';
import type { JobContext } from '../dispatch/job-context.js';
import { readStreamHead, type StreamBody } from './stream-head.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './upstream.js';
import { usageOfJson } from './usage-json.js';

/** What the gateway measures that the multiplexer's events do not carry. */
export interface GatewayObserver {
  queueWait(provider: string, seconds: number): void;
  firstToken(provider: string, keyName: string, seconds: number): void;
  /** The model a job's request named, for the `model` label of its attempts and its outcome. */
  model(jobId: number, model: string | undefined): void;
  /** The gateway answered a request on `route` (its pattern, not the path) with `code`. */
  response(route: string, code: number): void;
}

/** A streamed answer: its body read up to its first content, the bytes read so far still to be sent. */
export type StreamResponse = Omit<UpstreamResponse, 'body'> & { readonly body: StreamBody };

/** A provider's answer: read whole, or a stream whose key slot is held until `finish`. */
export type JobResult =
  | {
      readonly kind: 'buffered';
      readonly response: UpstreamResponse;
      readonly body: Buffer;
      readonly key: KeyRef;
    }
  | {
      readonly kind: 'stream';
      readonly response: StreamResponse;
      readonly key: KeyRef;
      /** The stream ended; with `failure`, it broke (cut or stalled upstream): a failure of its key. */
      finish(usage: TokenUsage | undefined, failure?: unknown): void;
    };

/** Provider error bodies, scrubbed of every key's value, kept for the error reply. */
const upstreamBodies = new WeakMap<object, unknown>();

export function upstreamBodyOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? upstreamBodies.get(error) : undefined;
}

function keepScrubbedBody(error: unknown, scrubber: SecretScrubber): void {
  if (error === null || typeof error !== 'object' || !('error' in error)) return;
  upstreamBodies.set(error, scrubber.scrubJson((error as { error: unknown }).error));
}

function fullUsage(usage: Partial<TokenUsage> | undefined): TokenUsage | undefined {
  if (usage === undefined) return undefined;
  const counts = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
  return usage.buckets ? { ...counts, buckets: usage.buckets } : counts;
}

function contentType(response: UpstreamResponse): string {
  const type = response.headers['content-type'];
  return typeof type === 'string' ? type : '';
}

function bufferedUsage(response: UpstreamResponse, body: Buffer): TokenUsage | undefined {
  return contentType(response).includes('json') ? fullUsage(usageOfJson(body)) : undefined;
}

/** What a gateway job needs besides its request: where it sends, whom it tells. */
export interface GatewayJobDeps {
  readonly upstream: Upstream;
  readonly observer: GatewayObserver;
  /** Every key the gateway sent with, to mask wherever an answer echoes one. */
  readonly scrubber: SecretScrubber;
  /** Feeds a response's limit headers to the key that got it (`Multiplexer.observeLimitHeaders`). */
  readonly observeLimits: (job: JobContext, headers: Headers, model: string | undefined) => void;
}

/** The function each gateway request runs as a keymux job, on whichever key the dispatcher chose. */
export async function runGatewayJob(
  client: unknown,
  job: JobContext,
  request: UpstreamRequest,
  enqueuedAt: number,
  deps: GatewayJobDeps,
): Promise<JobResult> {
  if (job.attempt === 1) {
    deps.observer.queueWait(request.provider, (performance.now() - enqueuedAt) / 1000);
    deps.observer.model(job.jobId, request.model);
  }
  let response: UpstreamResponse;
  try {
    response = await deps.upstream.send(client, request, job.signal, (headers) =>
      deps.observeLimits(job, headers, request.model || undefined),
    );
  } catch (error) {
    keepScrubbedBody(error, deps.scrubber);
    throw error;
  }
  if (contentType(response).startsWith('text/event-stream')) {
    // Until its first content, a stream's failure is this attempt's: another key or model may serve.
    let body: StreamBody;
    try {
      body = await readStreamHead(response.body);
    } catch (error) {
      keepScrubbedBody(error, deps.scrubber);
      throw error;
    }
    let release: (failure?: { readonly error: unknown }) => void = () => undefined;
    job.hold(
      new Promise<void>((resolve, reject) => {
        // A rejected hold is how the key learns that its stream broke (see JobContext.hold).
        release = (failure) => (failure === undefined ? resolve() : reject(failure.error));
      }),
    );
    const finish = (usage: TokenUsage | undefined, failure?: unknown): void => {
      if (usage) job.reportUsage(usage);
      release(failure === undefined ? undefined : { error: failure });
    };
    return { kind: 'stream', response: { ...response, body }, key: job.key, finish };
  }
  const body = Buffer.from(await response.body.arrayBuffer());
  const usage = bufferedUsage(response, body);
  if (usage) job.reportUsage(usage);
  return { kind: 'buffered', response, body, key: job.key };
}

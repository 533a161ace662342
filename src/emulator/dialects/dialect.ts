import type { IncomingMessage } from 'node:http';
import type { FaultKind, ProviderName } from '../config/options.js';
import type { Admission, PoolState } from '../limits/quota-pool.js';

/** A chat request reduced to what the emulator needs to answer and charge it. */
export interface ChatRequest {
  readonly model: string;
  readonly stream: boolean;
  /** OpenAI's `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  readonly inputTokens: number;
  readonly maxTokens: number | undefined;
}

/** The answer, before any wire format. */
export interface ChatAnswer {
  readonly id: string;
  readonly model: string;
  /** Unix seconds. */
  readonly created: number;
  readonly pieces: readonly string[];
  readonly text: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly truncated: boolean;
}

/** What went wrong, for the dialect to word. */
export type Problem =
  | {
      readonly kind: 'unauthorized' /** No key at all, rather than an unknown one. */;
      readonly missing: boolean;
    }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'not-found'; readonly message: string }
  | { readonly kind: 'limited'; readonly refusal: Extract<Admission, { ok: false }>; readonly model: string }
  | {
      readonly kind: 'fault';
      readonly fault: FaultKind;
      readonly model: string;
      /** A wait hint the fault asks for (`retryAfterMs`); the dialect words it its own way. */
      readonly retryAfterMs?: number | undefined;
    };

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** One provider's wire format: where the key is, how a request is charged, how answers and errors look. */
export interface Dialect {
  readonly provider: ProviderName;
  apiKey(req: IncomingMessage, url: URL): string | undefined;
  /** Checks the request body; a string is the 400 message. */
  parseChat(body: unknown, url: URL): ChatRequest | string;
  /** Tokens charged to the pool before the answer. */
  chargeUpFront(request: ChatRequest): number;
  /** Tokens the request finally costs, once the answer is known. */
  settle(request: ChatRequest, answer: ChatAnswer): number;
  /** Headers for every response of a known key. */
  limitHeaders(state: PoolState, now: number): Record<string, string>;
  /** Headers naming this response (`x-request-id`, `request-id`). */
  idHeaders(responseId: string): Record<string, string>;
  problem(problem: Problem): Reply;
  chatBody(answer: ChatAnswer, request: ChatRequest): unknown;
  /** Complete SSE frames (`event: …\ndata: …\n\n`), in order. */
  streamFrames(answer: ChatAnswer, request: ChatRequest): readonly string[];
}

/** An SSE frame. */
export function sseFrame(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`;
}

/** A header value as a string, first one when repeated. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A non-negative integer field, or undefined. */
export function intField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

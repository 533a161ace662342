import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Hand-written provider doubles, built from what the providers document (docs/provider-wire-facts.md),
 * sharing no code with src/emulator: when the emulator and keymux agree on something the providers do
 * not do, a test against the emulator proves nothing, and these catch it.
 */
export interface Arrival {
  /** The key the request carried (Bearer, x-api-key or x-goog-api-key). */
  readonly key: string;
  /** Date.now() when the request arrived. */
  readonly at: number;
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** This key's 1-based request count. */
  readonly n: number;
}

export type Handler = (arrival: Arrival, res: ServerResponse) => void | Promise<void>;

export interface Double {
  readonly url: string;
  readonly arrivals: Arrival[];
  /** Requests per key. */
  countOf(key: string): number;
  close(): Promise<void>;
}

function keyOf(req: IncomingMessage): string {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? String(req.headers['x-api-key'] ?? req.headers['x-goog-api-key'] ?? '');
}

export async function startDouble(handler: Handler): Promise<Double> {
  const arrivals: Arrival[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    const at = Date.now();
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      const key = keyOf(req);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      const arrival: Arrival = { key, at, path: req.url ?? '', body: raw ? JSON.parse(raw) : {}, n };
      arrivals.push(arrival);
      void Promise.resolve(handler(arrival, res)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    countOf: (key) => counts.get(key) ?? 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** OpenAI's headers on every response: Go durations, the time until the bucket is full again. */
export function openAIHeaders(remaining: number, reset: string, limit = 10_000): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-remaining-requests': String(remaining),
    'x-ratelimit-reset-requests': reset,
    'x-ratelimit-limit-tokens': '10000000',
    'x-ratelimit-remaining-tokens': '9999000',
    'x-ratelimit-reset-tokens': '6ms',
  };
}

export function openAIChat(model: string, text = 'ok'): Record<string, unknown> {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
  };
}

export function anthropicMessage(model: string, text = 'ok'): Record<string, unknown> {
  return {
    id: `msg_${Math.random().toString(36).slice(2)}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 9, output_tokens: 1 },
  };
}

export function geminiResponse(model: string, text = 'ok'): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1, totalTokenCount: 10 },
    modelVersion: model,
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A Go duration as OpenAI writes its resets: `12ms`, `1.5s`, `6m0s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${Math.floor(ms / 60_000)}m${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
}

/**
 * A key's requests-per-minute limit as OpenAI keeps it: a bucket of `limit` requests refilled
 * continuously at `limit` per minute; `reset` is the time until it is full again.
 */
export class RequestBucket {
  #tokens: number;
  #at: number;
  constructor(
    readonly limit: number,
    tokens: number,
    now: number,
  ) {
    this.#tokens = tokens;
    this.#at = now;
  }

  take(now: number): { readonly ok: boolean; readonly remaining: number; readonly resetMs: number } {
    const perMs = this.limit / 60_000;
    this.#tokens = Math.min(this.limit, this.#tokens + (now - this.#at) * perMs);
    this.#at = now;
    const ok = this.#tokens >= 1;
    if (ok) this.#tokens -= 1;
    return { ok, remaining: Math.floor(this.#tokens), resetMs: (this.limit - this.#tokens) / perMs };
  }

  /** A take, with OpenAI's headers. */
  takeOpenAI(now: number): { readonly ok: boolean; readonly headers: Record<string, string> } {
    const { ok, remaining, resetMs } = this.take(now);
    return { ok, headers: openAIHeaders(remaining, goDuration(resetMs), this.limit) };
  }

  /** A take, with Anthropic's headers (the reset an RFC 3339 instant in whole seconds, rounded up). */
  takeAnthropic(now: number): { readonly ok: boolean; readonly headers: Record<string, string> } {
    const { ok, remaining, resetMs } = this.take(now);
    const reset = new Date(Math.ceil((now + resetMs) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    return {
      ok,
      headers: {
        'anthropic-ratelimit-requests-limit': String(this.limit),
        'anthropic-ratelimit-requests-remaining': String(remaining),
        'anthropic-ratelimit-requests-reset': reset,
      },
    };
  }
}

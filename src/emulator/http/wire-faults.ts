import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FaultSpec, ProviderName } from '../config/options.js';
import type { Dialect, Reply } from '../dialects/dialect.js';
import { sendJson, statusText } from './http-io.js';

/** Resolves once the chunk is handed to the socket, so a cut that follows really lands mid-body. */
export function writeAndFlush(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) resolve();
    else res.write(chunk, () => resolve());
  });
}

/** The page a load balancer in front of the API sends when the API behind it is down. */
function htmlErrorPage(status: number): string {
  return `<!DOCTYPE html>
<html>
<head><title>${status} Bad Gateway</title></head>
<body>
<center><h1>${status} Bad Gateway</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
`;
}

/** A 200 body that stops in the middle of a JSON value. */
function malformedBody(provider: ProviderName): string {
  switch (provider) {
    case 'anthropic':
      return '{"id":"msg_emu","type":"message","role":"assistant","content":[{"type":"text","text":"Hel';
    case 'gemini':
      return '{"candidates":[{"content":{"parts":[{"text":"Hel';
    default:
      return '{"id":"chatcmpl-emu","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hel';
  }
}

export interface FaultAnswer {
  readonly fault: FaultSpec;
  readonly res: ServerResponse;
  readonly socket: Socket;
  readonly dialect: Dialect;
  readonly model: string;
  /** Aborts when the client leaves or the emulator closes: the end of a hang. */
  readonly signal: AbortSignal;
  readonly headers: () => Record<string, string>;
}

/** Answers with an injected fault (every kind but `cut`, which happens mid-answer); returns the status sent, 0 for none. */
export async function answerWithFault(f: FaultAnswer): Promise<number> {
  const { fault, res } = f;
  switch (fault.kind) {
    case 'reset':
      f.socket.destroy();
      return 0;
    case 'hang':
      if (!f.signal.aborted)
        await new Promise((resolve) => f.signal.addEventListener('abort', resolve, { once: true }));
      return 0;
    case 'html': {
      const status = fault.status ?? 502;
      const page = htmlErrorPage(status);
      res.writeHead(status, statusText(status), {
        'content-type': 'text/html',
        'content-length': String(Buffer.byteLength(page)),
      });
      res.end(page);
      return status;
    }
    case 'malformed-json': {
      const text = malformedBody(f.dialect.provider);
      res.writeHead(200, {
        ...f.headers(),
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
      });
      res.end(text);
      return 200;
    }
    default: {
      const reply = faultReply(f.dialect, fault, f.model);
      sendJson(res, reply.status, { ...f.headers(), ...reply.headers }, reply.body);
      return reply.status;
    }
  }
}

/** The provider's own error for a status fault; `status` in the spec overrides the code, not the body. */
export function faultReply(dialect: Dialect, fault: FaultSpec, model: string): Reply {
  const { retryAfterMs } = fault;
  const reply =
    fault.kind === 'unauthorized'
      ? dialect.problem({ kind: 'unauthorized', missing: false })
      : dialect.problem({ kind: 'fault', fault: fault.kind, model, retryAfterMs });
  const headers = {
    ...reply.headers,
    ...(retryAfterMs === undefined ? {} : { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) }),
    ...fault.headers,
  };
  return { ...reply, headers, status: fault.status ?? reply.status };
}

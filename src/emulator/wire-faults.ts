import type { ServerResponse } from 'node:http';
import type { ProviderName } from './options.js';

/** Resolves once the chunk is handed to the socket, so a cut that follows really lands mid-body. */
export function writeAndFlush(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) resolve();
    else res.write(chunk, () => resolve());
  });
}

/** The page a load balancer in front of the API sends when the API behind it is down. */
export function htmlErrorPage(status: number): string {
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
export function malformedBody(provider: ProviderName): string {
  switch (provider) {
    case 'anthropic':
      return '{"id":"msg_emu","type":"message","role":"assistant","content":[{"type":"text","text":"Hel';
    case 'gemini':
      return '{"candidates":[{"content":{"parts":[{"text":"Hel';
    default:
      return '{"id":"chatcmpl-emu","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hel';
  }
}

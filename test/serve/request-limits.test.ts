import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { createGateway } from '../../src/serve/index.js';
import { closedWithin, openSocket } from './http-raw.js';
import { ADMIN_TOKEN, closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';
import { startTap } from './tap.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));

function hostOf(url: string): string {
  return new URL(url).host;
}

describe('request limits: auth before the body, deadlines, sizes, shapes', () => {
  it('Medium 2: the token is checked before the body is read; admin bodies have a small limit', async () => {
    const { url } = await startStack({}, closers);
    const socket = await openSocket(url);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${hostOf(url)}\r\ncontent-type: application/json\r\ncontent-length: 60000000\r\n\r\n`,
    );
    socket.write('{"model":"m","messages":['.padEnd(1024, ' '));
    // The 401 comes at once and the connection closes: the other 59.99 MB are never read.
    const answer = await closedWithin(socket, 4_000);
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    const big = await fetch(`${url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', apiKey: 'x'.repeat(200_000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      error: { code: 'payload_too_large', message: 'keymux: the request body is larger than 65536 bytes' },
    });
  });

  it('Medium 2: an idle connection, slow headers and a trickling body are closed at their deadlines', async () => {
    const { url } = await startStack(
      { gateway: { headersTimeoutMs: 100, requestTimeoutMs: 250, keepAliveTimeoutMs: 100 } },
      closers,
    );
    const idle = await openSocket(url);
    const slowHeaders = await openSocket(url);
    slowHeaders.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${hostOf(url)}\r\n`);
    const trickle = await openSocket(url);
    trickle.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${hostOf(url)}\r\nauthorization: Bearer ${GATEWAY_TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
    );
    const dripping = setInterval(() => trickle.write(' '), 50);
    closers.push(async () => clearInterval(dripping));
    const [a, b, c] = await Promise.all([
      closedWithin(idle, 5_000),
      closedWithin(slowHeaders, 5_000),
      closedWithin(trickle, 5_000),
    ]);
    expect(a).not.toBeUndefined();
    expect(b).not.toBeUndefined();
    expect(c).not.toBeUndefined();
    // A kept-alive connection that goes quiet after an answer is closed too.
    const kept = await openSocket(url);
    kept.write(`GET /healthz HTTP/1.1\r\nHost: ${hostOf(url)}\r\n\r\n`);
    expect(await closedWithin(kept, 5_000)).toMatch(/^HTTP\/1\.1 200/);
  });

  it('Low: 100 000 nested arrays are a request like any other, not a 500', async () => {
    const { url } = await startStack({}, closers);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: `{"model":"m","messages":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    });
    // The estimate walks the body without recursion; the (lenient) emulator answers it.
    expect(res.status).toBe(200);
  });

  it('Low: every error the gateway makes itself is in the calling provider’s shape (413, 404, bad admin JSON)', async () => {
    const { url } = await startStack({ gateway: { bodyLimit: 1024 } }, closers);
    const tooLarge = await fetch(`${url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'm',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x'.repeat(2000) }],
      }),
    });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    const gemini = await fetch(`${url}/gemini/v1beta/nothing-here`, {
      headers: { 'x-goog-api-key': GATEWAY_TOKEN },
    });
    expect(gemini.status).toBe(404);
    expect(await gemini.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    const openai = await fetch(`${url}/v1/nothing`, {
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}` },
    });
    expect(await openai.json()).toMatchObject({ error: { type: 'invalid_request_error', code: null } });
    const badJson = await fetch(`${url}/admin/strategy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({
      error: { code: 'bad_request', message: 'keymux: the request body is not valid JSON' },
    });
  });

  it('Low: a 1-character token is refused off loopback', () => {
    const mux = new Multiplexer();
    expect(() => createGateway(mux, { host: '0.0.0.0', gatewayTokens: ['t'], adminToken: 'a' })).toThrow(
      ConfigError,
    );
  });

  it('Low: `%3F` or `%23` in Gemini’s model segment never reaches the upstream path', async () => {
    let emulatorUrl = '';
    const tap = await startTap(() => emulatorUrl, closers);
    const { url, emulator } = await startStack({ upstreamUrl: () => tap.url }, closers);
    emulatorUrl = emulator.url;
    for (const model of [
      'g%3Falt=sse%23:generateContent',
      'g%2F..%2Fx:generateContent',
      'g%3F:generateContent',
    ]) {
      const res = await fetch(`${url}/gemini/v1beta/models/${model}`, {
        method: 'POST',
        headers: { 'x-goog-api-key': GATEWAY_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { status: 'NOT_FOUND' } });
    }
    // Nothing went upstream: before, `g?alt=sse#` split the upstream path into a path and a query.
    expect(tap.seen).toEqual([]);
    expect(KEYS.gemini).toBeTruthy();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from './http-raw.js';
import { ADMIN_TOKEN, closeAll, GATEWAY_TOKEN, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];
const chat = JSON.stringify({ model: 'm', messages });
const EVIL = 'http://evil.example';

/** The default set-up: loopback, no tokens at all. */
function openStack() {
  return startStack({ gateway: { gatewayTokens: [], adminToken: undefined } }, closers);
}

function hostOf(url: string): string {
  return new URL(url).host;
}

describe('cross-site requests', () => {
  it('High: a page on another site gets nothing through: no paid completion, no disabled key, no key list by DNS rebinding', async () => {
    const { url, mux, emulator } = await openStack();
    // A cross-site form or fetch: text/plain needs no CORS preflight.
    const completion = await rawRequest(url, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { origin: EVIL, 'content-type': 'text/plain', host: hostOf(url) },
      body: chat,
    });
    expect(completion.status).toBe(403);
    expect(JSON.parse(completion.text).error.message).toContain('cross-site');
    const disable = await rawRequest(url, {
      method: 'POST',
      path: '/admin/keys/openai/openai-a/disable',
      headers: { origin: EVIL, host: hostOf(url) },
    });
    expect(disable.status).toBe(403);
    // A page that lost its Origin (sandboxed frame): `null` is no origin of ours either.
    const sandboxed = await rawRequest(url, {
      method: 'POST',
      path: '/admin/keys/openai/openai-a/disable',
      headers: { origin: 'null', host: hostOf(url) },
    });
    expect(sandboxed.status).toBe(403);
    // DNS rebinding: the page's own name now resolves to 127.0.0.1; its same-origin GET has no Origin.
    const rebound = await rawRequest(url, {
      path: '/admin/keys',
      headers: { host: `evil.example:${new URL(url).port}` },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.text).not.toContain('openai-a');
    const state = await rawRequest(url, {
      path: '/dashboard/state',
      headers: { host: `evil.example:${new URL(url).port}` },
    });
    expect(state.status).toBe(403);
    expect(emulator.ledger.size).toBe(0);
    expect(mux.getUsageStats().providers.openai?.keys[0]?.state).toBe('healthy');
    // The gateway's own page, and clients that are no browser, still get through.
    const own = await rawRequest(url, {
      method: 'POST',
      path: '/admin/keys/openai/openai-a/disable',
      headers: { origin: url, host: hostOf(url), 'sec-fetch-site': 'same-origin' },
    });
    expect(own.status).toBe(200);
    const sdk = await rawRequest(url, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', host: hostOf(url) },
      body: chat,
    });
    expect(sdk.status).toBe(200);
    expect((await rawRequest(url, { path: '/healthz', headers: { host: `localhost:1` } })).status).toBe(200);
  });

  it('High: bodies must be JSON (415), in the provider’s error shape; --allowed-host adds a name', async () => {
    const { url, emulator } = await startStack({ gateway: { allowedHosts: ['keymux.internal'] } }, closers);
    const auth = { authorization: `Bearer ${GATEWAY_TOKEN}` };
    const plain = await rawRequest(url, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { ...auth, 'content-type': 'text/plain;charset=UTF-8' },
      body: chat,
    });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.text)).toMatchObject({ error: { type: 'invalid_request_error' } });
    const form = await rawRequest(url, {
      method: 'POST',
      path: '/anthropic/v1/messages',
      headers: { 'x-api-key': GATEWAY_TOKEN, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(form.status).toBe(415);
    expect(JSON.parse(form.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const named = await rawRequest(url, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { ...auth, 'content-type': 'application/json', host: 'keymux.internal' },
      body: chat,
    });
    expect(named.status).toBe(200);
    const other = await rawRequest(url, { path: '/healthz', headers: { host: 'other.internal' } });
    expect(other.status).toBe(403);
    expect(emulator.ledger.size).toBe(1);
  });

  it('Medium 1: /dashboard/state needs the admin token when one is set, as /admin/stats does', async () => {
    const { url } = await startStack({}, closers);
    expect((await fetch(`${url}/admin/stats`)).status).toBe(401);
    const state = await fetch(`${url}/dashboard/state`);
    expect(state.status).toBe(401);
    expect(await state.text()).not.toContain('openai-a');
    const allowed = await fetch(`${url}/dashboard/state`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(allowed.status).toBe(200);
  });

  it('Low: the dashboard sends CSP, X-Frame-Options and Referrer-Policy', async () => {
    const { url } = await startStack({}, closers);
    const page = await fetch(`${url}/`);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
  });
});

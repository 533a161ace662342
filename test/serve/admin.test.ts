import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { createGateway } from '../../src/serve/index.js';
import { ADMIN_TOKEN, closeAll, KEYS, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));

// biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary JSON answers
type Json = any;

function admin(url: string, token: string | null = ADMIN_TOKEN) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}/admin${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };
}

describe('admin API', () => {
  it('answers 401 without a token, with a wrong one, and with one of the wrong kind', async () => {
    const { url } = await startStack({}, closers);
    for (const token of [null, 'wrong', `${ADMIN_TOKEN}x`, 'gw-client-token-0123456789']) {
      const call = admin(url, token);
      expect((await call('GET', '/keys')).status).toBe(401);
      expect((await call('POST', '/keys/openai/openai-a/disable')).status).toBe(401);
      expect(
        (await call('POST', '/keys', { provider: 'openai', apiKey: 'sk-x-000000000000000' })).status,
      ).toBe(401);
    }
  });

  it('lists keys masked; disables, enables, resets; adds and removes; sets the strategy', async () => {
    const { url, mux } = await startStack({}, closers);
    const call = admin(url);
    const keys = await call('GET', '/keys');
    expect(keys.status).toBe(200);
    const openai = keys.json.providers.openai;
    expect(openai.keys.map((k: { name: string }) => k.name)).toEqual(['openai-a', 'openai-b']);
    expect(openai.keys[0].label).toBe('sk-e…aaaa');
    expect(JSON.stringify(keys.json)).not.toContain(KEYS.openaiA);

    expect((await call('POST', '/keys/openai/openai-a/disable')).status).toBe(200);
    expect(mux.getUsageStats().providers.openai?.keys[0]?.state).toBe('disabled');
    expect((await call('POST', '/keys/openai/openai-a/enable')).status).toBe(200);
    expect(mux.getUsageStats().providers.openai?.keys[0]?.state).toBe('healthy');
    expect((await call('POST', '/keys/openai/openai-a/reset')).status).toBe(200);
    expect((await call('POST', '/providers/openai/reset')).status).toBe(200);
    expect((await call('POST', '/keys/openai/nope/disable')).status).toBe(404);

    const added = await call('POST', '/keys', {
      provider: 'openai',
      key: 'sk-added-key-1234567890',
      name: 'added',
      rateLimit: { requestsPerMinute: 50 },
      priority: 3,
    });
    expect(added).toEqual({ status: 201, json: { provider: 'openai', name: 'added' } });
    const addedStats = mux.getUsageStats().providers.openai?.keys.find((k) => k.name === 'added');
    expect(addedStats).toMatchObject({ weight: 3, limits: { rpm: { limit: 50 } } });
    expect((await call('DELETE', '/keys/openai/added')).status).toBe(200);
    expect(mux.keyNames('openai')).toEqual(['openai-a', 'openai-b']);
    expect((await call('POST', '/keys/remove', { provider: 'openai', name: 'added' })).status).toBe(404);

    expect((await call('PUT', '/strategy', { strategy: 'least-loaded', provider: 'openai' })).status).toBe(
      200,
    );
    expect(mux.getUsageStats().providers.openai?.strategy).toBe('least-loaded');
    expect((await call('GET', '/stats')).json.providers.anthropic.totalKeys).toBe(1);
    const checked = await call('POST', '/health-check?provider=openai');
    expect(checked.status).toBe(200);
    expect(checked.json.results.map((r: { name: string }) => r.name)).toEqual(['openai-a', 'openai-b']);
    expect(JSON.stringify(checked.json)).not.toContain(KEYS.openaiA);
    expect((await call('POST', '/health-check?provider=nope')).status).toBe(400);
  });

  it('shows each key’s last health check: none before the first, then what the check found', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    const revoked = 'sk-emu-revoked-zzzzzzzzzzzzzzzz'; // unknown to the emulator: 401
    mux.addKey('openai', { name: 'revoked', apiKey: revoked, baseURL: `${emulator.url}/v1` });
    const call = admin(url);
    const before = await call('GET', '/keys');
    for (const provider of Object.values(before.json.providers) as Json[])
      for (const key of provider.keys) expect(key.lastCheck).toBeNull();

    expect((await call('POST', '/health-check?provider=openai')).status).toBe(200);
    const after = await call('GET', '/keys');
    const [good, , bad] = after.json.providers.openai.keys;
    expect(good).toMatchObject({ name: 'openai-a', state: 'healthy' });
    expect(good.lastCheck).toMatchObject({ ok: true, status: 200, failureClass: null, state: 'healthy' });
    expect(Date.parse(good.lastCheck.at)).not.toBeNaN();
    expect(bad.lastCheck).toMatchObject({
      ok: false,
      status: 401,
      failureClass: 'auth',
      state: 'unavailable',
    });
    expect(after.json.providers.anthropic.keys[0].lastCheck).toBeNull();

    const one = await call('GET', '/keys/openai/revoked');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ provider: 'openai', name: 'revoked', state: 'unavailable' });
    expect(one.json.lastCheck).toEqual(bad.lastCheck);
    expect((await call('GET', '/keys/openai/nope')).status).toBe(404);
    expect(JSON.stringify([after.json, one.json])).not.toContain(revoked);
  });

  it('validates bodies: clear 400s naming the field, never echoing a key', async () => {
    const { url } = await startStack({}, closers);
    const call = admin(url);
    const noKey = await call('POST', '/keys', { provider: 'openai' });
    expect(noKey.status).toBe(400);
    expect(noKey.json.error.message).toContain('apiKey');
    const badLimit = await call('POST', '/keys', {
      provider: 'openai',
      apiKey: 'sk-secret-value-123456',
      limits: { rpm: -1 },
    });
    expect(badLimit.status).toBe(400);
    expect(badLimit.json.error.message).toContain('limits.rpm');
    expect(JSON.stringify(badLimit.json)).not.toContain('sk-secret-value-123456');
    const unknownField = await call('POST', '/keys', {
      provider: 'openai',
      apiKey: 'sk-secret-value-123456',
      bogus: 1,
    });
    expect(unknownField.status).toBe(400);
    const duplicate = await call('POST', '/keys', { provider: 'openai', apiKey: KEYS.openaiA });
    expect(duplicate.status).toBe(400);
    expect(JSON.stringify(duplicate.json)).not.toContain(KEYS.openaiA);
    const strategy = await call('PUT', '/strategy', { strategy: 'fastest' });
    expect(strategy.status).toBe(400);
    expect(strategy.json.error.message).toContain('strategy');
    const notJson = await fetch(`${url}/admin/strategy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses to start on a non-loopback address without an admin token or gateway tokens', () => {
    const mux = new Multiplexer();
    expect(() => createGateway(mux, { host: '0.0.0.0', gatewayTokens: ['t'] })).toThrow(ConfigError);
    expect(() => createGateway(mux, { host: '0.0.0.0', adminToken: 'a' })).toThrow(/KEYMUX_GATEWAY_TOKENS/);
    // Off loopback a token is a guard only when it cannot be guessed: 16 characters at least.
    expect(() =>
      createGateway(mux, { host: '0.0.0.0', adminToken: 'a'.repeat(16), gatewayTokens: ['t'], port: 0 }),
    ).toThrow(/gatewayTokens\[0\].*at least 16 characters, got 1/);
    expect(() =>
      createGateway(mux, { host: '0.0.0.0', adminToken: 'a', gatewayTokens: ['t'.repeat(16)], port: 0 }),
    ).toThrow(/adminToken.*at least 16/);
    expect(() =>
      createGateway(mux, {
        host: '0.0.0.0',
        adminToken: 'a'.repeat(16),
        gatewayTokens: ['t'.repeat(16)],
        port: 0,
      }),
    ).not.toThrow();
  });
});

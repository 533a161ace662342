import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { containsEcho } from '../../src/core/redact.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { readGatewayCredentials } from '../../src/serve/gateway-config.js';
import { startGateway } from '../../src/serve/index.js';
import { ADMIN_TOKEN, closeAll, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];
const chat = JSON.stringify({ model: 'm', messages });

describe('no key, not even in part, in answers, names or config errors', () => {
  it('Medium 3: a provider error that echoes part of a key reaches the client masked', async () => {
    const key = 'sk-proj-canary-ABCDEFGHIJKLMNOPQRSTUV-0123';
    const upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: `Incorrect request for key ${key.slice(0, 22)}****: model not allowed`,
              type: 'invalid_request_error',
              param: key.slice(10, 30),
              code: null,
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => upstream.close(() => resolve())));
    const mux = new Multiplexer();
    mux.addKey('openai', {
      name: 'fake',
      apiKey: key,
      baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
    });
    const gateway = await startGateway(mux, { port: 0 });
    closers.unshift(async () => {
      await gateway.close();
      await mux.close();
    });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat,
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('model not allowed');
    expect(text).toContain('sk-p…0123');
    expect(containsEcho(text, key)).toBe(false);
  });

  it('Medium 5: a key name that no header can carry is refused where keys enter, by the admin API too', async () => {
    const mux = new Multiplexer();
    for (const name of ['naïve', 'a\r\nX-Injected: 1', 'tab\there', ' padded', 'x'.repeat(101), '']) {
      let error: unknown;
      try {
        mux.addKey('openai', { name, apiKey: 'sk-test-0000000000000000' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('key.name');
    }
    expect(mux.addKey('openai', { name: 'prod key #1 (EU)', apiKey: 'sk-test-0000000000000000' })).toBe(
      'prod key #1 (EU)',
    );
    await mux.close();
    const config = {
      providers: { openai: { keys: [{ key: 'sk-test-1111111111111111', name: 'clé' }] } },
    };
    expect(() => Multiplexer.fromConfig(config)).toThrow(
      expect.objectContaining({ path: 'providers.openai.keys[0].name' }),
    );
    const { url, mux: served } = await startStack({}, closers);
    const added = await fetch(`${url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', apiKey: 'sk-test-2222222222222222', name: 'über' }),
    });
    expect(added.status).toBe(400);
    expect(((await added.json()) as { error: { message: string } }).error.message).toContain(
      'printable ASCII',
    );
    expect(served.keyNames('openai')).toEqual(['openai-a', 'openai-b']);
  });

  it('Medium 6: serve --config with malformed JSON says where, and prints no part of a key', async () => {
    const key = 'sk-live-1234567890abcdefghij';
    const dir = await mkdtemp(join(tmpdir(), 'keymux-gw-'));
    const path = join(dir, 'broken.json');
    await writeFile(path, `{"providers": {"openai": {"keys": [{"key": ${key}}]}}}`);
    const error = await readGatewayCredentials(path, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/broken\.json: not valid JSON: Unexpected token/);
    expect(containsEcho(String(error), key)).toBe(false);
  });

  it('serve --config reads the gateway section of a YAML file too; a YAML error gives line and column only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keymux-gw-'));
    const good = join(dir, 'keymux.yaml');
    await writeFile(
      good,
      'gateway:\n  tokens: [gw-token-0123456789abcdef]\n  adminToken: admin-token-0123456789\n',
    );
    await expect(readGatewayCredentials(good, {})).resolves.toEqual({
      gatewayTokens: ['gw-token-0123456789abcdef'],
      adminToken: 'admin-token-0123456789',
    });
    const key = 'sk-live-1234567890abcdefghij';
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, `providers:\n  openai:\n    keys: [{ key: ${key}\n`);
    const error = await readGatewayCredentials(broken, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(
      /broken\.yaml: not valid YAML: .* at line \d+, column \d+/,
    );
    expect(containsEcho(String(error), key)).toBe(false);
  });
});

import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';
import { startTap } from './tap.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];

async function text(res: Response): Promise<string> {
  return `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`;
}

describe('gateway security', () => {
  it('no key value in any response, error body, /metrics, dashboard, admin JSON or log; no client token upstream', async () => {
    const logs: string[] = [];
    const log = (obj: object, msg?: string): void => {
      logs.push(`${msg} ${JSON.stringify(obj)}`);
    };
    let emulatorUrl = '';
    const tap = await startTap(() => emulatorUrl, closers);
    const { url, emulator } = await startStack(
      {
        upstreamUrl: () => tap.url,
        mux: { logger: { debug: log, info: log, warn: log, error: log } },
        gateway: { logger: { info: log, warn: log } },
      },
      closers,
    );
    emulatorUrl = emulator.url;
    emulator.addFault({ kind: 'rate-limit', key: 'openaiA', count: 1 });
    emulator.addFault({ kind: 'server-error', key: 'anthropic', count: 1 });
    const seen: string[] = [];
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) {
      const { data, response } = await openai.chat.completions
        .create({ model: 'm', messages })
        .withResponse();
      seen.push(JSON.stringify(data), JSON.stringify([...response.headers]));
    }
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true });
    for await (const chunk of stream) seen.push(JSON.stringify(chunk));
    const bad = await openai.chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
    seen.push(JSON.stringify(bad), String(bad));
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const failed = await anthropic.messages
      .create({ model: 'm', max_tokens: 5, messages })
      .catch((e: unknown) => e);
    seen.push(JSON.stringify(failed), String(failed));
    const ai = new GoogleGenAI({ apiKey: GATEWAY_TOKEN, httpOptions: { baseUrl: `${url}/gemini` } });
    seen.push(JSON.stringify(await ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' })));
    const viaQuery = await fetch(`${url}/gemini/v1beta/models/g:generateContent?key=${GATEWAY_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
    });
    expect(viaQuery.status).toBe(200);
    seen.push(await text(viaQuery));
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const path of ['/metrics', '/', '/dashboard/state', '/healthz', '/readyz'])
      seen.push(await text(await fetch(`${url}${path}`)));
    for (const path of ['/admin/keys', '/admin/stats'])
      seen.push(await text(await fetch(`${url}${path}`, { headers: auth })));
    const everything = [...seen, ...logs].join('\n');
    expect(everything).toContain('keymux_requests_total');
    expect(everything).toContain('openai-a');
    expect(logs.length).toBeGreaterThan(0);
    for (const key of Object.values(KEYS)) expect(everything).not.toContain(key);

    // Upstream: the pool's keys, never the client's token, in no header and no URL.
    expect(tap.seen.length).toBeGreaterThanOrEqual(9);
    for (const request of tap.seen) {
      expect(`${request.url} ${JSON.stringify(request.headers)}`).not.toContain(GATEWAY_TOKEN);
      const credential =
        request.headers.authorization ?? request.headers['x-api-key'] ?? request.headers['x-goog-api-key'];
      expect(Object.values(KEYS).some((key) => String(credential).includes(key))).toBe(true);
    }
  });

  it('sends each provider the key’s own credential as its SDK would, with the client’s version headers', async () => {
    vi.stubEnv('OPENAI_ORG_ID', 'org-gateway-test');
    closers.push(async () => {
      vi.unstubAllEnvs();
    });
    let emulatorUrl = '';
    const tap = await startTap(() => emulatorUrl, closers);
    const { url, emulator } = await startStack({ upstreamUrl: () => tap.url }, closers);
    emulatorUrl = emulator.url;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }).then((res) => res.status);
    const chat = { model: 'm', messages, max_tokens: 4 };
    expect(await post('/v1/chat/completions', chat, { 'openai-beta': 'assistants=v2' })).toBe(200);
    expect(await post('/groq/openai/v1/chat/completions', chat)).toBe(200);
    expect(await post('/anthropic/v1/messages', chat)).toBe(200);
    expect(await post('/anthropic/v1/messages', chat, { 'anthropic-version': '2024-01-01' })).toBe(200);
    expect(
      await post('/gemini/v1beta/models/g:generateContent', { contents: [{ parts: [{ text: 'hi' }] }] }),
    ).toBe(200);
    const [openai, groq, claude, claudeVersioned, gemini] = tap.seen.map((r) => r.headers);
    expect(openai).toMatchObject({
      'openai-beta': 'assistants=v2',
      'openai-organization': 'org-gateway-test',
    });
    expect([KEYS.openaiA, KEYS.openaiB].map((k) => `Bearer ${k}`)).toContain(openai?.authorization);
    expect(groq?.authorization).toBe(`Bearer ${KEYS.groq}`);
    expect(claude).toMatchObject({ 'x-api-key': KEYS.anthropic, 'anthropic-version': '2023-06-01' });
    expect(claude?.authorization).toBeUndefined();
    expect(claudeVersioned?.['anthropic-version']).toBe('2024-01-01');
    expect(gemini?.['x-goog-api-key']).toBe(KEYS.gemini);
    for (const headers of tap.seen.map((r) => r.headers))
      expect(headers['content-type']).toBe('application/json');
  });
});

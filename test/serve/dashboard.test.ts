import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumBinary } from '../support/system-binaries.js';
import { ADMIN_TOKEN, closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));

/** The page polls every 200 ms; a loaded machine may take longer to paint. */
const POLL = { timeout: 10_000 };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: chromiumBinary(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

describe('dashboard in a real browser', () => {
  it('shows every key and its state, live; disable asks for the admin token and changes the state', async () => {
    // A budget no call is tagged for: shown, never in the way.
    const budgets = [{ name: 'exp', usd: 5, tag: 'exp-42' }];
    const { url, mux } = await startStack({ mux: { budgets } }, closers);
    await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const page = await browser.newPage();
    // The page lives within its own Content-Security-Policy: no violation reported.
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    let asked = 0;
    page.on('dialog', (dialog) => {
      asked++;
      void dialog.accept(ADMIN_TOKEN);
    });
    await page.goto(`${url}/?refresh=200`);
    const row = (provider: string, key: string) =>
      page.locator(`tr[data-provider="${provider}"][data-key="${key}"]`);
    for (const [provider, key] of [
      ['openai', 'openai-a'],
      ['openai', 'openai-b'],
      ['groq', 'groq-a'],
      ['anthropic', 'claude-a'],
      ['gemini', 'gemini-a'],
    ] as const) {
      await expect
        .poll(() => row(provider, key).locator('[data-role=state]').textContent(), POLL)
        .toBe('healthy');
    }
    // A change made elsewhere shows up without a reload.
    mux.disableKey('groq', 'groq-a');
    await expect
      .poll(() => row('groq', 'groq-a').locator('[data-role=state]').textContent(), POLL)
      .toBe('disabled');

    await row('openai', 'openai-b').locator('button[data-action=disable]').click();
    await expect
      .poll(() => row('openai', 'openai-b').locator('[data-role=state]').textContent(), POLL)
      .toBe('disabled');
    expect(asked).toBe(1);
    expect(mux.getUsageStats().providers.openai?.keys[1]?.state).toBe('disabled');
    await row('openai', 'openai-b').locator('button[data-action=enable]').click();
    await expect
      .poll(() => row('openai', 'openai-b').locator('[data-role=state]').textContent(), POLL)
      .toBe('healthy');

    // A health check's verdict shows under the key's state.
    await mux.checkKeys('anthropic');
    await expect
      .poll(() => row('anthropic', 'claude-a').locator('[data-role=check]').textContent(), POLL)
      .toMatch(/^check passed /);

    const html = await page.content();
    expect(html).toContain('sk-e…aaaa');
    for (const key of Object.values(KEYS)) expect(html).not.toContain(key);
    expect(await page.locator('#chart svg').count()).toBe(1);
    // Spend: the budget's state, and the call's cost (model `m` has no price: counted apart, not as $0).
    expect(await page.locator('tr[data-budget="exp"]').textContent()).toBe(
      'exp$0.000000$0.000000$5.000000$5.000000',
    );
    expect(
      await page
        .locator('tr[data-cost="openai/openai-a/m"], tr[data-cost="openai/openai-b/m"]')
        .textContent(),
    ).toContain('1 calls, 1 without a price');
    expect(
      await page
        .locator('.bar span')
        .first()
        .evaluate((e) => (e as { style: { width: string } }).style.width),
    ).toMatch(/%$/);
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it('a page on another origin that posts to the gateway (no CORS preflight) gets nothing through', async () => {
    // The default set-up, the one at risk: loopback, no tokens at all.
    const { url, mux, emulator } = await startStack(
      { gateway: { gatewayTokens: [], adminToken: undefined } },
      closers,
    );
    const chat = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'paid by the pool' }] });
    const attack = `<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="f" method="POST" target="sink" action="${url}/admin/keys/openai/openai-b/disable"></form>
<script>
const sent = [
  fetch('${url}/v1/chat/completions', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(chat)} }),
  fetch('${url}/admin/keys/openai/openai-a/disable', { method: 'POST', mode: 'no-cors' }),
  fetch('${url}/admin/keys', { mode: 'cors' }).then((r) => r.text()),
  new Promise((resolve) => { document.querySelector('iframe').onload = resolve; document.getElementById('f').submit(); }),
];
Promise.allSettled(sent).then((results) => {
  window.results = results.map((r) => r.status + ':' + (typeof r.value === 'string' ? r.value : ''));
  document.title = 'done';
});
</script></body></html>`;
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attack);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => evil.close(() => resolve())));
    const page = await browser.newPage();
    // Another site: `localhost` is not `127.0.0.1`, and the port differs too.
    await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
    await expect.poll(() => page.title(), POLL).toBe('done');
    const results = (await page.evaluate('window.results')) as string[];
    // The key list could not be read (no CORS headers, and a 403 anyway).
    expect(results[2]).toBe('rejected:');
    expect(emulator.ledger.size).toBe(0);
    expect(mux.getUsageStats().providers.openai?.keys.map((k) => k.state)).toEqual(['healthy', 'healthy']);
    await page.close();
  }, 60_000);
});

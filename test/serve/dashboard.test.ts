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
    const { url, mux } = await startStack({}, closers);
    await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const page = await browser.newPage();
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
    await page.close();
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { closeAll, GATEWAY_TOKEN, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
// One stack for the file (each costs a few hundred ms); a budget of the tag `team-a` counts its requests.
let url = '';
let emulator: Emulator;
beforeAll(async () => {
  ({ url, emulator } = await startStack(
    { mux: { budgets: [{ name: 'team-a', tokens: 1, tag: 'team-a' }] } },
    closers,
  ));
});
afterAll(() => closeAll(closers));

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

function post(headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('the gateway: x-keymux-deadline and x-keymux-tag', () => {
  it('refuses a malformed header with 400 naming it, and sends nothing', async () => {
    for (const [name, value] of [
      ['x-keymux-deadline', 'soon'],
      ['x-keymux-deadline', '0'],
      ['x-keymux-deadline', '2026-13-45T99:00:00Z'],
      ['x-keymux-tag', 'has space'],
    ] as const) {
      const response = await post({ [name]: value });
      expect(response.status, `${name}: ${value}`).toBe(400);
      expect(await response.text()).toContain(name);
    }
    expect(emulator.ledger.entries()).toHaveLength(0);
  });

  it('a deadline already past is a 504 deadline_exceeded, and nothing is sent', async () => {
    const response = await post({ 'x-keymux-deadline': '2020-01-01T00:00:00Z' });
    expect(response.status).toBe(504);
    const answer = (await response.json()) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('deadline_exceeded');
    expect(answer.error.message).toContain('2020-01-01T00:00:00.000Z');
    expect(emulator.ledger.entries()).toHaveLength(0);
    expect((await post({ 'x-keymux-deadline': '6h' })).status).toBe(200);
    expect((await post({ 'x-keymux-deadline': '60000' })).status).toBe(200);
  });

  it('the tag is the job’s: a budget of that tag counts the request, and other requests pass', async () => {
    const tagged = await post({ 'x-keymux-tag': 'team-a' });
    expect(tagged.status).toBe(429);
    expect(await tagged.text()).toContain('budget_exceeded');
    expect((await post({ 'x-keymux-tag': 'team-b' })).status).toBe(200);
    expect((await post({})).status).toBe(200);
  });
});

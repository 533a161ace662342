import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackend } from '../../src/store/redis-backend.js';
import { scriptRunner } from '../../src/store/redis-client.js';
import { reconnectDelay } from '../../src/store/redis-from-url.js';
import { RedisLayout } from '../../src/store/redis-layout.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

let server: RedisServer;
let client: TestClient;
let n = 0;
beforeAll(async () => {
  server = await RedisServer.start();
  client = await CLIENT_KINDS[0]!.connect(server.url);
});
afterAll(async () => {
  await client.quit();
  await server.stop();
});

function backend(): { backend: RedisBackend; layout: RedisLayout } {
  const layout = new RedisLayout(`backend-${process.pid}-${++n}`);
  return { backend: new RedisBackend(scriptRunner(client.client), layout), layout };
}

// 600 rpm: one send every 100 ms.
const rpm = { provider: 'openai', scope: 'k1', limits: [{ name: 'rpm' as const, limit: 600, units: 1 }] };

describe('the hand-over after an outage, in Redis', () => {
  it('is set by the first process back, read by the next, and joined at once by one back after its end', async () => {
    const { backend: b, layout } = backend();
    expect(await b.handover(2000, 1000)).toBe(2000);
    const left = await b.handover(2000, 1000);
    expect(left).toBeGreaterThan(1900);
    expect(left).toBeLessThanOrEqual(2000);
    // The end has passed (as if 2 s went by) but the record lingers: a late process joins Redis at once.
    await client.command(['SET', layout.handover(), '1', 'PX', '60000']);
    expect(await b.handover(2000, 1000)).toBe(0);
    // Gone (its linger ran out): the next outage's first process back sets a new end.
    await client.command(['DEL', layout.handover()]);
    expect(await b.handover(2000, 1000)).toBe(2000);
  });

  it('keeps the record for the linger after the end', async () => {
    const { backend: b, layout } = backend();
    await b.handover(2000, 1000);
    const ttl = Number(await client.command(['PTTL', layout.handover()]));
    expect(ttl).toBeGreaterThan(2900);
    expect(ttl).toBeLessThanOrEqual(3000);
  });
});

describe('a charge for a send booked on the local schedule', () => {
  it('sits in the shared schedule at the send’s time, not at the booking’s', async () => {
    const { backend: now } = backend();
    await now.charge(rpm);
    const { backend: later } = backend();
    await later.charge(rpm, 500);
    const ahead = async (b: RedisBackend): Promise<number> =>
      (await b.snapshot({ provider: 'openai', key: 'k1' }, 'k1')).limits.rpm?.aheadMs ?? 0;
    // A send now: the next one is due one interval on. A send booked 500 ms on: due 600 ms on, so a
    // process taking from Redis meanwhile is not given the slot next to it.
    expect(await ahead(now)).toBeLessThanOrEqual(100);
    expect(await ahead(later)).toBeGreaterThan(550);
    expect(await ahead(later)).toBeLessThanOrEqual(600);
  });
});

describe('the reconnect delay of a client keymux makes from a URL', () => {
  it('doubles from 50 ms up to a quarter of recoverAfterMs, so every process is back within one', () => {
    const delay = reconnectDelay(1000);
    expect([0, 1, 2, 3, 4, 20, 5000].map(delay)).toEqual([50, 100, 200, 250, 250, 250, 250]);
    expect(reconnectDelay(0)(10)).toBe(50);
    expect(reconnectDelay(8000)(10)).toBe(2000);
  });
});

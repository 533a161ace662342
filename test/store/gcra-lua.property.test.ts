import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACE_SLACK_MS } from '../../src/core/key-state-store.js';
import { adjustTat, takeTat, waitOf } from '../../src/policy/gcra.js';
import { GCRA_LUA } from '../../src/store/lua/clock.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

/**
 * The Redis store's GCRA (Lua) against the one TypeScript implementation (src/policy/gcra.ts): the same
 * random sequence of takes, corrections, provider floors and waits runs through both, on the same clock
 * readings, and every decision (the wait before each step, the schedule after it) must be the same number.
 */

type Step =
  | { readonly dt: number; readonly op: 'take'; readonly x: number }
  | { readonly dt: number; readonly op: 'adjust'; readonly x: number }
  | { readonly dt: number; readonly op: 'tighten'; readonly x: number }
  | { readonly dt: number; readonly op: 'wait'; readonly x: number };

// One EVAL per sequence: ARGV = slack, limit, window, start, then per step dt, op, x. Returns per step the
// wait before it and the schedule after it ('' for none), as exact decimal strings.
const SEQUENCE_LUA = `
local slack_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
${GCRA_LUA}
local function exact(x) if x == nil then return '' end return string.format('%.17g', x) end
local tat, nb = nil, nil
local out = {}
local i = 5
while i < #ARGV do
  now = now + tonumber(ARGV[i])
  local op = ARGV[i + 1]
  local x = tonumber(ARGV[i + 2])
  out[#out + 1] = exact(wait_of(tat, nb, limit, window))
  if op == 'take' then tat = take_tat(tat, x, limit, window)
  elseif op == 'adjust' then tat = adjust_tat(tat, x, limit, window)
  elseif op == 'tighten' then
    local at = now + x
    if not nb or at > nb then nb = at end
  end
  out[#out + 1] = exact(tat)
  i = i + 3
end
return out
`;

function runTs(
  slack: number,
  limit: number,
  windowMs: number,
  start: number,
  steps: readonly Step[],
): string[] {
  expect(slack).toBe(PACE_SLACK_MS);
  let now = start;
  let tat: number | undefined;
  let notBefore: number | undefined;
  const out: string[] = [];
  for (const step of steps) {
    now += step.dt;
    out.push(String(waitOf(tat, notBefore, now, limit, windowMs)));
    if (step.op === 'take') tat = takeTat(tat, now, step.x, limit, windowMs);
    else if (step.op === 'adjust') tat = adjustTat(tat, now, step.x, limit, windowMs);
    else if (step.op === 'tighten' && (notBefore === undefined || now + step.x > notBefore))
      notBefore = now + step.x;
    out.push(tat === undefined ? '' : String(tat));
  }
  return out;
}

const stepArb = fc.record({
  // Gaps in pacing intervals (a burst, a late timer, just past the slack, an idle spell), or minutes.
  gap: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 4000 }).map((milli) => milli / 1000),
    fc.integer({ min: 0, max: 200_000 }).map((ms) => -ms),
  ),
  edge: fc.option(fc.constantFrom(-1, -0.001, 0, 0.001, 1), { freq: 3 }),
  op: fc.constantFrom('take', 'take', 'adjust', 'tighten', 'wait'),
  // Costs, corrections and floors: a request's one unit, a few, or thousands of tokens.
  x: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -5000, max: 5000 })),
});

const runArb = fc.record({
  // Slow limits (slack 100 ms), fast ones (slack half an interval), and huge learned ones.
  limit: fc.oneof(
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: 300, max: 5000 }),
    fc.integer({ min: 1, max: 2_000_000 }),
  ),
  windowMs: fc.constantFrom(60_000, 86_400_000),
  start: fc.integer({ min: 0, max: 2_000_000_000_000 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
});

type RawStep = {
  readonly gap: number;
  readonly edge: number | null;
  readonly op: string;
  readonly x: number;
};

/**
 * The steps as both sides run them: gaps in ms to the µs (as Redis TIME gives), a take's cost at least 1.
 * A step with an `edge` comes that many ms after the schedule's slack runs out (the schedule kept or
 * restarted), found by following the schedule as the TypeScript side will.
 */
function toSteps(limit: number, windowMs: number, start: number, raw: readonly RawStep[]): Step[] {
  const interval = windowMs / limit;
  const slack = windowMs <= 60_000 ? Math.min(PACE_SLACK_MS, interval / 2) : 0;
  let now = start;
  let tat: number | undefined;
  return raw.map(({ gap, edge, op, x }) => {
    let dt = gap < 0 ? -gap : Math.round(gap * interval * 1000) / 1000;
    if (edge !== null && tat !== undefined) dt = Math.max(0, tat + slack + edge - now);
    now += dt;
    const step = { dt, op: op as Step['op'], x: op === 'take' ? Math.max(1, Math.abs(x)) : x };
    if (op === 'take') tat = takeTat(tat, now, step.x, limit, windowMs);
    if (op === 'adjust') tat = adjustTat(tat, now, step.x, limit, windowMs);
    return step;
  });
}

let server: RedisServer;
let client: TestClient;
beforeAll(async () => {
  server = await RedisServer.start();
  client = await CLIENT_KINDS[0]!.connect(server.url);
});
afterAll(async () => {
  await client.quit();
  await server.stop();
});

describe('the Lua GCRA is the TypeScript GCRA', () => {
  it('decides every step of random sequences the same: waits and schedules, number for number', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ limit, windowMs, start, steps }) => {
        const fixed = toSteps(limit, windowMs, start, steps);
        const args = [PACE_SLACK_MS, limit, windowMs, start, ...fixed.flatMap((s) => [s.dt, s.op, s.x])];
        const lua = (await client.command(['EVAL', SEQUENCE_LUA, '0', ...args.map(String)])) as string[];
        const ts = runTs(PACE_SLACK_MS, limit, windowMs, start, fixed);
        expect(lua.map((v) => (v === '' ? '' : String(Number(v))))).toEqual(ts);
      }),
      { numRuns: 300 },
    );
  });
});

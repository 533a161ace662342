/**
 * The GCRA arithmetic of src/policy/gcra.ts in Lua, line for line: `wait_of` is `waitOf`, `take_tat` is
 * `takeTat`, `adjust_tat` is `adjustTat`. It reads `now` and `slack_ms` from the script that includes it.
 * test/store/gcra-lua.property.test.ts drives both with the same random sequences on a real redis-server
 * and compares every decision.
 */
export const GCRA_LUA = `
local function fmt(x) return string.format('%.3f', x) end
local function ceil(x) return math.ceil(x) end
local function paced(window) return window <= 60000 end
local function wait_of(tat, nb, limit, window)
  local due = now
  if tat then
    if paced(window) then due = tat else due = tat - window + window / limit end
  end
  local at = math.max(due, nb or now)
  if at > now then return at - now end
  return 0
end
local function take_tat(tat, cost, limit, window)
  local slack = 0
  if paced(window) then slack = math.min(slack_ms, window / limit / 2) end
  local base = now
  if tat and tat >= now - slack then base = tat end
  return base + math.min(cost, limit) * (window / limit)
end
local function adjust_tat(tat, delta, limit, window)
  if not tat or delta == 0 then return tat end
  local moved = tat + delta * (window / limit)
  if delta < 0 then moved = math.max(moved, math.min(tat, now)) end
  return moved
end
`;

/**
 * Lua prelude of every store script: `now` in ms (with µs fraction) from Redis `TIME`, so machines' clocks
 * never matter; the pacing slack from ARGV[1]; the GCRA helpers; and `keep`, which extends a hash's expiry.
 */
export const NOW_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local slack_ms = tonumber(ARGV[1])
${GCRA_LUA}
local function keep(key, horizon)
  if horizon > 0 and redis.call('PTTL', key) < horizon then redis.call('PEXPIRE', key, ceil(horizon)) end
end
`;

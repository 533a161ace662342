/**
 * Lua prelude: `now` in ms (with µs fraction) from Redis `TIME`, so machines' clocks never matter, and the
 * GCRA helpers of src/store/gcra.ts, line for line.
 */
export const NOW_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
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
  if paced(window) then slack = math.min(tonumber(ARGV[1]), window / limit / 2) end
  local base = now
  if tat and tat >= now - slack then base = tat end
  return base + math.min(cost, limit) * (window / limit)
end
local function keep(key, horizon)
  if horizon > 0 and redis.call('PTTL', key) < horizon then redis.call('PEXPIRE', key, ceil(horizon)) end
end
`;

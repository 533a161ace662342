/**
 * Budgets shared by every process: one hash per budget (fields `start`, `spent`, `reserved`, whole
 * nano-dollars or tokens), all under one hash tag, so a call's budgets move in one script on one slot.
 * ARGV per budget: period start (ms), then for a reserve: limit, amount; for a settle: reserved, spent
 * (-1: what was reserved). A budget whose `start` differs from the period start rolls over first: spent
 * starts again at 0, reserved stays (those calls are still running).
 */
const ROLL_LUA = `
local function roll(key, start)
  if redis.call('HGET', key, 'start') ~= start then
    redis.call('HSET', key, 'start', start, 'spent', 0)
  end
end
local function used(key)
  local v = redis.call('HMGET', key, 'spent', 'reserved')
  return (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
end
`;

/** Reserves on every budget or none. Returns {0, i} when budget i (1-based) refuses, else {1, used…}. */
export const BUDGET_RESERVE_LUA = `${ROLL_LUA}
for i = 1, #KEYS do
  local b = (i - 1) * 3
  roll(KEYS[i], ARGV[b + 1])
  if used(KEYS[i]) + tonumber(ARGV[b + 3]) > tonumber(ARGV[b + 2]) then return {0, i} end
end
local out = {1}
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'reserved', ARGV[(i - 1) * 3 + 3])
  out[#out + 1] = used(KEYS[i])
end
return out
`;

/** Replaces each reservation by what was spent (a release spends 0). Returns {used…}. */
export const BUDGET_SETTLE_LUA = `${ROLL_LUA}
local out = {}
for i = 1, #KEYS do
  local b = (i - 1) * 3
  roll(KEYS[i], ARGV[b + 1])
  local reserved = tonumber(ARGV[b + 2])
  local spent = tonumber(ARGV[b + 3])
  if spent < 0 then spent = reserved end
  redis.call('HINCRBY', KEYS[i], 'reserved', -reserved)
  redis.call('HINCRBY', KEYS[i], 'spent', spent)
  out[#out + 1] = used(KEYS[i])
end
return out
`;

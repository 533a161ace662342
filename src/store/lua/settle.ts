import { NOW_LUA } from './clock.js';

/**
 * Moves schedules by units. KEYS: rate hash of the scope. ARGV: slack ms, mode, then per limit: name,
 * limit (0: learned), window, units.
 * - settle: units are actual − estimated tokens; debt moves the schedule later, a refund never before now.
 * - charge: units sent while Redis was away, added as a take would add them but without asking.
 */
export const SETTLE_LUA = `${NOW_LUA}
local charge = ARGV[2] == 'charge'
local i = 3
local horizon = 0
while i < #ARGV do
  local name = ARGV[i]
  local limit = tonumber(ARGV[i + 1])
  if limit <= 0 then limit = tonumber(redis.call('HGET', KEYS[1], 'l:' .. name)) end
  local window = tonumber(ARGV[i + 2])
  local delta = tonumber(ARGV[i + 3])
  local tat = tonumber(redis.call('HGET', KEYS[1], 't:' .. name))
  local moved = nil
  if limit and limit > 0 and delta ~= 0 then
    if charge then
      moved = take_tat(tat, delta, limit, window)
    elseif tat then
      moved = tat + delta * (window / limit)
      if delta < 0 then moved = math.max(moved, math.min(tat, now)) end
    end
  end
  if moved then
    redis.call('HSET', KEYS[1], 't:' .. name, fmt(moved))
    horizon = math.max(horizon, moved - now + window)
  end
  i = i + 4
end
keep(KEYS[1], horizon)
return 1
`;

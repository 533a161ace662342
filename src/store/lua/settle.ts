import { NOW_LUA } from './clock.js';

/**
 * Applies a call's readings, then moves schedules by units. KEYS: rate hash of the scope. ARGV: slack ms,
 * mode, number of readings, ms from now of the send (charge), per reading: name, floor ms, learned limit
 * (0: none), window (as TIGHTEN_LUA), then per limit: name, limit (0: learned), window, units.
 * - settle: units are actual − estimated tokens; debt moves the schedule later, a refund never before now.
 * - charge: units sent while Redis was away, or booked on a local schedule for a send that many ms from
 *   now, added as a take made then would add them, but without asking.
 */
export const SETTLE_LUA = `${NOW_LUA}
local charge = ARGV[2] == 'charge'
local readings = tonumber(ARGV[3])
local horizon = 0
for r = 0, readings - 1 do
  local b = 5 + r * 4
  local name = ARGV[b]
  local at = now + tonumber(ARGV[b + 1])
  if tonumber(ARGV[b + 2]) > 0 then redis.call('HSET', KEYS[1], 'l:' .. name, ARGV[b + 2]) end
  local nb = tonumber(redis.call('HGET', KEYS[1], 'n:' .. name))
  if not nb or at > nb then redis.call('HSET', KEYS[1], 'n:' .. name, fmt(at)) end
  horizon = math.max(horizon, math.max(at, nb or 0) - now + tonumber(ARGV[b + 3]))
end
local i = 5 + readings * 4
if charge then now = now + tonumber(ARGV[4]) end
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
    else
      moved = adjust_tat(tat, delta, limit, window)
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

import { NOW_LUA } from './clock.js';

/**
 * Reconciles token estimates. KEYS: rate hash of the scope. ARGV per limit: name, limit (0: learned),
 * window, delta units. Debt moves a schedule later; a refund never moves it before now.
 */
export const SETTLE_LUA = `${NOW_LUA}
local i = 1
local horizon = 0
while i < #ARGV do
  local name = ARGV[i]
  local limit = tonumber(ARGV[i + 1])
  if limit <= 0 then limit = tonumber(redis.call('HGET', KEYS[1], 'l:' .. name)) end
  local window = tonumber(ARGV[i + 2])
  local delta = tonumber(ARGV[i + 3])
  local tat = tonumber(redis.call('HGET', KEYS[1], 't:' .. name))
  if limit and limit > 0 and tat and delta ~= 0 then
    local moved = tat + delta * (window / limit)
    if delta < 0 then moved = math.max(moved, math.min(tat, now)) end
    redis.call('HSET', KEYS[1], 't:' .. name, fmt(moved))
    horizon = math.max(horizon, moved - now + window)
  end
  i = i + 4
end
if horizon > 0 and redis.call('PTTL', KEYS[1]) < horizon then redis.call('PEXPIRE', KEYS[1], ceil(horizon)) end
return 1
`;

import { NOW_LUA } from './clock.js';

/**
 * One all-or-nothing take. KEYS: rate hash of the scope, the key's hash, the key's probe lease.
 * ARGV: slack ms, probe TTL ms, probe token, then per limit: name, limit (0: the learned one), window, units.
 * Returns {1, 0, 'ok' | 'probe', learned...} or {0, waitMs, 'rate' | 'cooldown' | 'breaker', learned...};
 * a refusal writes nothing.
 */
export const TAKE_LUA = `${NOW_LUA}
local slack = tonumber(ARGV[1])
local learned = {}
local limits = {}
local i = 4
while i < #ARGV do
  local name = ARGV[i]
  local limit = tonumber(ARGV[i + 1])
  if limit <= 0 then
    limit = tonumber(redis.call('HGET', KEYS[1], 'l:' .. name))
    if limit then
      learned[#learned + 1] = name
      learned[#learned + 1] = tostring(limit)
    end
  end
  if limit and limit > 0 then
    limits[#limits + 1] = { name, limit, tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]),
      tonumber(redis.call('HGET', KEYS[1], 't:' .. name)) }
  end
  i = i + 4
end
local function answer(ok, wait, why)
  local out = { ok, wait, why }
  for j = 1, #learned do out[#out + 1] = learned[j] end
  return out
end
local key = redis.call('HMGET', KEYS[2], 'cooldown', 'exhausted', 'open')
local held = math.max(tonumber(key[1]) or 0, tonumber(key[2]) or 0)
if held > now then return answer(0, ceil(held - now), 'cooldown') end
local open = tonumber(key[3])
if open then
  if open > now then return answer(0, ceil(open - now), 'breaker') end
  local lease = redis.call('PTTL', KEYS[3])
  if lease > 0 then return answer(0, lease, 'breaker') end
end
local wait = 0
for _, l in ipairs(limits) do
  if l[5] and l[5] > now then wait = math.max(wait, l[5] - now) end
end
if wait > 0 then return answer(0, ceil(wait), 'rate') end
local horizon = 0
for _, l in ipairs(limits) do
  local base = now
  if l[5] and l[5] >= now - slack then base = l[5] end
  local tat = base + math.min(l[4], l[2]) * (l[3] / l[2])
  redis.call('HSET', KEYS[1], 't:' .. l[1], fmt(tat))
  horizon = math.max(horizon, tat - now + l[3])
end
if redis.call('PTTL', KEYS[1]) < horizon then redis.call('PEXPIRE', KEYS[1], ceil(horizon)) end
if open then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2])
  return answer(1, 0, 'probe')
end
return answer(1, 0, 'ok')
`;

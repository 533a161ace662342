import { NOW_LUA } from './clock.js';

/**
 * Reads one key and its scope. KEYS: the key's hash, its probe lease, the scope's rate hash.
 * Returns {cooldownMs, exhaustedMs, openMs (-1: closed), leaseMs, field, value, ...} where the pairs
 * are the rate hash's fields, times as ms ahead of now.
 */
export const SNAPSHOT_LUA = `${NOW_LUA}
local key = redis.call('HMGET', KEYS[1], 'cooldown', 'exhausted', 'open')
local function ahead(x) if x and x > now then return ceil(x - now) end return 0 end
local open = tonumber(key[3])
local openMs = -1
if open then openMs = ahead(open) end
local out = { ahead(tonumber(key[1])), ahead(tonumber(key[2])), openMs, math.max(0, redis.call('PTTL', KEYS[2])) }
local rate = redis.call('HGETALL', KEYS[3])
for i = 1, #rate, 2 do
  out[#out + 1] = rate[i]
  if string.sub(rate[i], 1, 2) == 'l:' then out[#out + 1] = rate[i + 1]
  else out[#out + 1] = ahead(tonumber(rate[i + 1])) end
end
return out
`;

import { NOW_LUA } from './clock.js';

/**
 * Deadlines and breaker of one key. KEYS: the key's hash, its probe lease. ARGV: op, then its arguments:
 * - extend field ms: field = max(field, now + ms), returns the ms left (cooldowns are never shortened);
 * - open ms: the breaker opens until max(open, now + ms), the probe lease goes;
 * - close: the breaker closes, the lease goes;
 * - release token: the lease goes if that token still holds it;
 * - clear: everything of the key goes.
 * The key's hash expires once its last deadline has passed (plus a minute of slack).
 */
export const KEY_STATE_LUA = `${NOW_LUA}
local op = ARGV[1]
local function keep_until(at) keep(KEYS[1], at - now + 60000) end
if op == 'extend' then
  local field = ARGV[2]
  local at = math.max(tonumber(redis.call('HGET', KEYS[1], field)) or 0, now + tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], field, fmt(at))
  keep_until(at)
  return ceil(at - now)
elseif op == 'open' then
  local at = math.max(tonumber(redis.call('HGET', KEYS[1], 'open')) or 0, now + tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], 'open', fmt(at))
  redis.call('DEL', KEYS[2])
  keep_until(at)
elseif op == 'close' then
  redis.call('HDEL', KEYS[1], 'open')
  redis.call('DEL', KEYS[2])
elseif op == 'release' then
  if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
elseif op == 'clear' then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return 0
`;

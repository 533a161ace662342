import { NOW_LUA } from './clock.js';

/**
 * A provider's reading. KEYS: rate hash of the scope. ARGV: slack ms, name, floor ms, learned limit
 * (0: none), window. The floor only moves later: n = max(n, now + floor); the schedule stays.
 */
export const TIGHTEN_LUA = `${NOW_LUA}
local name = ARGV[2]
local at = now + tonumber(ARGV[3])
if tonumber(ARGV[4]) > 0 then redis.call('HSET', KEYS[1], 'l:' .. name, ARGV[4]) end
local nb = tonumber(redis.call('HGET', KEYS[1], 'n:' .. name))
if not nb or at > nb then redis.call('HSET', KEYS[1], 'n:' .. name, fmt(at)) end
keep(KEYS[1], math.max(at, nb or 0) - now + tonumber(ARGV[5]))
return 1
`;

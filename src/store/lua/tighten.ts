import { NOW_LUA } from './clock.js';

/**
 * A provider's reading. KEYS: rate hash of the scope. ARGV: name, floor ms, learned limit (0: none), idle
 * expiry ms. The schedule only moves later: tat = max(tat, now + floor).
 */
export const TIGHTEN_LUA = `${NOW_LUA}
local name = ARGV[1]
local at = now + tonumber(ARGV[2])
local learned = tonumber(ARGV[3])
if learned > 0 then redis.call('HSET', KEYS[1], 'l:' .. name, ARGV[3]) end
local tat = tonumber(redis.call('HGET', KEYS[1], 't:' .. name))
if not tat or at > tat then redis.call('HSET', KEYS[1], 't:' .. name, fmt(at)) end
local horizon = math.max(at, tat or 0) - now + tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < horizon then redis.call('PEXPIRE', KEYS[1], ceil(horizon)) end
return 1
`;

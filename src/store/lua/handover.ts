import { NOW_LUA } from './clock.js';

/**
 * The end of a hand-over after an outage, one for every process of the deployment: the first process back
 * sets it, those that follow read it, so all leave their local schedules at the same moment. KEYS: the
 * deployment's hand-over key. ARGV: ms from now, for the first. Returns the ms left until the end.
 */
export const HANDOVER_LUA = `${NOW_LUA}
local at = tonumber(redis.call('GET', KEYS[1]))
if at and at > now then return ceil(at - now) end
local ms = tonumber(ARGV[1])
redis.call('SET', KEYS[1], fmt(now + ms), 'PX', ceil(ms))
return ceil(ms)
`;

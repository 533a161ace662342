import { NOW_LUA } from './clock.js';

/**
 * The end of a hand-over after an outage, one for every process of the deployment: the first process back
 * sets it, those that follow read it, so all leave their local schedules at the same moment. A process
 * back after the end (its client reconnected late) reads 0 for `linger` ms after it: the others are on
 * Redis's schedules already, and it joins them at once instead of starting a hand-over of its own.
 * KEYS: the deployment's hand-over key. ARGV: ms from now, for the first; linger ms. Returns the ms left.
 */
export const HANDOVER_LUA = `${NOW_LUA}
local at = tonumber(redis.call('GET', KEYS[1]))
if at then
  if at > now then return ceil(at - now) end
  return 0
end
local ms = tonumber(ARGV[1])
redis.call('SET', KEYS[1], fmt(now + ms), 'PX', ceil(ms + tonumber(ARGV[2])))
return ceil(ms)
`;

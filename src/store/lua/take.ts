import { NOW_LUA } from './clock.js';

/**
 * How long the first process to call a key whose limits nobody knows yet has it alone, to learn them from
 * the answer's headers: N processes starting together would otherwise each send a first request at once.
 */
export const FIRST_CONTACT_MS = 5000;

/** How often a process waiting for another's first contact asks again (it ends as soon as a limit is learned). */
export const FIRST_CONTACT_POLL_MS = 100;

/**
 * One all-or-nothing take. KEYS: rate hash of the scope, the key's hash, the key's probe lease.
 * ARGV: slack ms, probe TTL ms, probe token, reserve ms, then per limit: name, limit (0: the learned one), window, units.
 * Returns {1, delay ms (a booked send), 'ok' | 'probe', learned...} or {0, waitMs, 'rate' | 'cooldown' | 'breaker', learned...};
 * a refusal writes nothing. Fields of the rate hash: t:<limit> schedule, n:<limit> floor, l:<limit> learned,
 * u: until when the first contact of a scope whose limits are all unknown is held by one process (a key
 * whose breaker has opened is probed through its lease instead).
 */
export const TAKE_LUA = `${NOW_LUA}
local learned = {}
local limits = {}
local i = 5
while i < #ARGV do
  local name = ARGV[i]
  local limit = tonumber(ARGV[i + 1])
  local f = redis.call('HMGET', KEYS[1], 't:' .. name, 'n:' .. name, 'l:' .. name)
  if limit <= 0 then
    limit = tonumber(f[3])
    if limit then
      learned[#learned + 1] = name
      learned[#learned + 1] = f[3]
    end
  end
  if limit and limit > 0 then
    limits[#limits + 1] = { name, limit, tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(f[1]), tonumber(f[2]) }
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
if #limits == 0 and i > 5 and not open then
  local until_ = tonumber(redis.call('HGET', KEYS[1], 'u'))
  if until_ and until_ > now then return answer(0, math.min(ceil(until_ - now), ${FIRST_CONTACT_POLL_MS}), 'rate') end
  if not until_ then
    redis.call('HSET', KEYS[1], 'u', fmt(now + ${FIRST_CONTACT_MS}))
    keep(KEYS[1], ${FIRST_CONTACT_MS})
  end
end
local wait = 0
for _, l in ipairs(limits) do wait = math.max(wait, wait_of(l[5], l[6], l[2], l[3])) end
local reserve = tonumber(ARGV[4])
if open then reserve = 0 end
if wait > reserve then return answer(0, ceil(wait - reserve), 'rate') end
-- Booked: the schedules move as if the take came when the send will go.
now = now + wait
local horizon = 0
for _, l in ipairs(limits) do
  local tat = take_tat(l[5], l[4], l[2], l[3])
  redis.call('HSET', KEYS[1], 't:' .. l[1], fmt(tat))
  horizon = math.max(horizon, tat - now + l[3])
end
keep(KEYS[1], horizon)
if open then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2])
  return answer(1, 0, 'probe')
end
return answer(1, ceil(wait), 'ok')
`;

/**
 * Budgets shared by every process, in slices: one hash per budget (fields `start`, `spent`, `reserved`, in
 * whole nano-dollars or tokens; `recall`, the last time a call was refused while slices were out), all
 * under one hash tag, so a call's budgets move in one script on one slot. A process holds a slice of each
 * budget it uses (`s:<owner>`, counted in `reserved`; `x:<owner>` is when it expires unless renewed),
 * reserves its calls from it locally, and comes back to Redis only to grow it, to flush what its calls
 * spent, or to give back what it does not need (docs/spend.md, "Many processes").
 *
 * ARGV: owner, now (ms, the processes' clock), ttl (ms), final (1: give up the slice's fields at 0), then
 * 9 per budget: period start, limit, need (must be granted, else the script refuses), ask (headroom
 * wanted on top), release (leaves the slice), spent (of the release, what calls spent), the period that
 * spend belongs to, claim (what the owner believes it holds: > 0 with no slice left means it was
 * reclaimed), ack (the recall this step answers by giving back all the slice's free part; 0: none). A budget whose `start` differs rolls over first: spent starts again at 0, reserved stays.
 *
 * An expired slice (its owner died, or was cut off for `ttl`) is reclaimed by whoever runs next: counted
 * as spent (in the period it was last renewed in), since what its owner sent on it is unknown; the owner,
 * if alive, learns it lost the slice (`lost`) and starts a new one. Headroom is at most a fair share of
 * what is free (half of it, split over the owners), none for `ttl` after a recall: slices shrink as the
 * budget nears its end, and a process given less than it asked (`tight`) reserves per call.
 *
 * A call refused while other processes hold slices that could make room sets `recall`: each holder, at
 * its next step (every `syncMs` at the latest), gives back what its slice does not use and acknowledges
 * (`a:<owner>`); the refused call is told to wait while some live holder has not (`wait`), and its retry
 * once all have is final. The recall stands for `ttl`: no headroom is granted meanwhile.
 *
 * Returns {status, index, wait, then 6 per budget: granted, tight, spent, reserved, lost, recall}: status 1
 * granted, 0 refused at budget `index` (1-based; `wait` 1 when holders have yet to answer a recall), 2 a
 * slice was lost (nothing granted: the owner starts again).
 */
export const BUDGET_SLICE_LUA = `
local owner, now, ttl, final = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local sf, xf, af = 's:' .. owner, 'x:' .. owner, 'a:' .. owner
local W = 9
-- Whole numbers as Redis reads them ('-0' and '1e+15' are not integers to HINCRBY).
local function int(n) return string.format('%.0f', n) end
local function incr(key, field, n)
  if n ~= 0 then redis.call('HINCRBY', key, field, int(n)) end
end
local n = #KEYS
local mine, free, others, owners, recalled, lost, pending, recalls = {}, {}, {}, {}, {}, {}, {}, {}
local anyLost = false
for i = 1, n do
  local key, b = KEYS[i], 4 + (i - 1) * W
  local start = ARGV[b + 1]
  if redis.call('HGET', key, 'start') ~= start then
    redis.call('HSET', key, 'start', start, 'spent', 0, 'recall', 0)
  end
  local h = redis.call('HGETALL', key)
  local fields = {}
  for j = 1, #h, 2 do fields[h[j]] = h[j + 1] end
  local r = tonumber(fields['recall']) or 0
  local held, count, waiting = 0, 0, false
  for f, v in pairs(fields) do
    if string.sub(f, 1, 2) == 'x:' then
      local id = string.sub(f, 3)
      local s = tonumber(fields['s:' .. id]) or 0
      if tonumber(v) <= now then
        redis.call('HDEL', key, f, 's:' .. id, 'a:' .. id)
        incr(key, 'reserved', -s)
        if tonumber(v) - ttl >= tonumber(start) then incr(key, 'spent', s) end
        if id == owner then fields[sf] = nil end
      elseif id ~= owner then
        held = held + s
        count = count + 1
        if s > 0 and (tonumber(fields['a:' .. id]) or 0) < r then waiting = true end
      end
    end
  end
  local m = tonumber(fields[sf])
  if m == nil and tonumber(ARGV[b + 8]) > 0 then
    lost[i] = 1
    anyLost = true
    m = 0
  else
    lost[i] = 0
    m = m or 0
    local rel = math.min(tonumber(ARGV[b + 5]), m)
    if rel > 0 then
      m = m - rel
      incr(key, 'reserved', -rel)
    end
    if ARGV[b + 7] == start then incr(key, 'spent', tonumber(ARGV[b + 6])) end
    if tonumber(ARGV[b + 9]) > 0 then redis.call('HSET', key, af, ARGV[b + 9]) end
  end
  mine[i] = m
  local v = redis.call('HMGET', key, 'spent', 'reserved')
  free[i] = tonumber(ARGV[b + 2]) - (tonumber(v[1]) or 0) - (tonumber(v[2]) or 0)
  others[i] = held
  owners[i] = count
  recalled[i] = r > 0 and now - r < ttl
  pending[i] = waiting
  recalls[i] = r
end
local status, index, wait = 1, 0, 0
if anyLost then status = 2 end
if status == 1 then
  for i = 1, n do
    local need = tonumber(ARGV[4 + (i - 1) * W + 3])
    if need > 0 and free[i] < need then
      status, index = 0, i
      if free[i] + others[i] >= need then
        if not recalled[i] then
          -- Ask the holders for what they do not use; each answers at its next step (acknowledging).
          redis.call('HSET', KEYS[i], 'recall', int(now))
          recalls[i] = now
          recalled[i] = true
          if others[i] > 0 then wait = 1 end
        elseif pending[i] then
          wait = 1
        end
      end
      break
    end
  end
end
local out = {status, index, wait}
for i = 1, n do
  local key, b = KEYS[i], 4 + (i - 1) * W
  local granted, tight = 0, 0
  local ask = tonumber(ARGV[b + 4])
  if status == 1 then
    local need = tonumber(ARGV[b + 3])
    local room = 0
    if not recalled[i] then room = math.floor((free[i] - need) / (2 * (owners[i] + 1))) end
    local headroom = math.max(0, math.min(ask, room))
    if recalled[i] or headroom < ask then tight = 1 end
    granted = need + headroom
    if granted > 0 then
      mine[i] = mine[i] + granted
      incr(key, 'reserved', granted)
    end
  elseif recalled[i] then
    tight = 1
  end
  if final and mine[i] <= 0 then
    redis.call('HDEL', key, sf, xf, af)
  else
    redis.call('HSET', key, sf, int(mine[i]), xf, int(now + ttl))
  end
  local v = redis.call('HMGET', key, 'spent', 'reserved')
  out[#out + 1] = granted
  out[#out + 1] = tight
  out[#out + 1] = tonumber(v[1]) or 0
  out[#out + 1] = tonumber(v[2]) or 0
  out[#out + 1] = lost[i]
  out[#out + 1] = recalls[i]
end
return out
`;

/** Lua prelude: `now` in ms (with µs fraction) from Redis `TIME`, so machines' clocks never matter. */
export const NOW_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local function fmt(x) return string.format('%.3f', x) end
local function ceil(x) return math.ceil(x) end
`;

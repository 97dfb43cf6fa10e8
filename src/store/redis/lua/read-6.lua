--[[
  Reads a site's counts in one round trip. Read-only: creates no key. The totals are what the rollup
  added plus the minutes still pending (includes/history.lua); the peak is the larger of the online
  hash's and version 5's peak hash (the earlier on a tie).

  Input:
    KEYS[1]  online  HASH g/m/b -> identities online, peak, peakAt, minute -> pending history
    KEYS[2]  tot     HASH {visits, pageviews}
    KEYS[3]  day     HASH {visits, pageviews}
    KEYS[4]  month   HASH {visits, pageviews}
    KEYS[5]  peak    HASH {online, at}, of version 5
    KEYS[6]  yesterday HASH {visits, pageviews}, the day before KEYS[3]

    ARGV[1]  day, ARGV[2] month, ARGV[3] yesterday, as in their keys ("2026-11-26", "2026-11")

  Output:
    flat array of strings or nil: online g, m, b; tot visits, pageviews; day visits, pageviews;
    month visits, pageviews; peak online, at; yesterday visits, pageviews
]]
--- @include "history"

local online = {}
local flat = redis.call("HGETALL", KEYS[1])
for i = 1, #flat, 2 do
  online[flat[i]] = flat[i + 1]
end
-- Pending pageviews and visits by the prefix their minute's bucket key must start with ("" for all).
local prefixes = {"", ARGV[1], ARGV[2], ARGV[3]}
local pending = {}
for j = 1, 4 do
  pending[j] = {0, 0}
end
for field, value in pairs(online) do
  if isMinuteField(field) then
    local pageviews, visits = string.match(value, "^(%S+) (%S+)")
    for j, prefix in ipairs(prefixes) do
      if string.sub(field, 1, #prefix) == prefix then
        pending[j][1], pending[j][2] = pending[j][1] + tonumber(visits), pending[j][2] + tonumber(pageviews)
      end
    end
  end
end

local out = {online.g or false, online.m or false, online.b or false}
local function add(key, extra)
  local v = redis.call("HMGET", key, "visits", "pageviews")
  for f = 1, 2 do
    local n = (tonumber(v[f]) or 0) + extra[f]
    out[#out + 1] = (v[f] or n ~= 0) and string.format("%d", n) or false
  end
end
add(KEYS[2], pending[1])
add(KEYS[3], pending[2])
add(KEYS[4], pending[3])
-- A tie goes to version 5's peak: it was reached first.
local legacy = redis.call("HMGET", KEYS[5], "online", "at")
if legacy[1] and tonumber(legacy[1]) >= tonumber(online.peak or 0) then
  out[#out + 1], out[#out + 2] = legacy[1], legacy[2]
else
  out[#out + 1], out[#out + 2] = online.peak or false, online.peakAt or false
end
add(KEYS[6], pending[4])
return out

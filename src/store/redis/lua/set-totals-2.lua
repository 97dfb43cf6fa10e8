--[[
  Sets a site's lifetime totals as a read will show them: the minutes still pending (includes/history.lua)
  are added on read and by the rollup, so what is stored is the value less their sum.

  Input:
    KEYS[1]  tot     HASH {visits, pageviews}
    KEYS[2]  online  HASH minute bucket key -> pending figures (and the online figures)

    ARGV     pairs: field (visits or pageviews), value (a whole number >= 0)

  Output:
    number of fields set
]]
--- @include "history"

local pending = {pageviews = 0, visits = 0}
local entries = pendingEntries(KEYS[2])
for i = 1, #entries, 2 do
  local pageviews, visits = string.match(entries[i + 1], "^(%S+) (%S+)")
  pending.pageviews, pending.visits = pending.pageviews + tonumber(pageviews), pending.visits + tonumber(visits)
end
local fields = {}
for i = 1, #ARGV, 2 do
  fields[#fields + 1], fields[#fields + 2] = ARGV[i], string.format("%d", tonumber(ARGV[i + 1]) - pending[ARGV[i]])
end
redis.call("HSET", KEYS[1], unpack(fields))
return #fields / 2

--[[
  Refreshes this instance's presence in one site and lists instances whose presence expired, both by
  Redis's clock, so instances whose clocks disagree neither reap each other nor keep ghosts; and drops
  page sessions and identities whose visit window ended (joins compare times instead, so they do not
  pay for the pruning). One script per instance and site, whatever the number of sessions it holds.
  It also records the figures online now into the current history buckets: a bucket in which they
  did not change gets the value that held.

  Input:
    KEYS[1]  inst    ZSET instance id -> presence expiry (Redis time, ms)
    KEYS[2]  seen    ZSET psid -> +inf while open, leave time after
    KEYS[3]  last    ZSET tag -> last activity
    KEYS[4]  online  HASH g/m/b -> identities online
    KEYS[5..8]       history: minutes of the hour, hours of the day, days of the year, months (keys.ts historyOf)

    ARGV[1]  this instance's id
    ARGV[2]  presence TTL (ms)
    ARGV[3]  most dead instances to list at once
    ARGV[4]  visit cutoff = now - visit window (ms, this instance's clock)
    ARGV[5..10]      history buckets of now and TTLs, as includes/history.lua describes
    ARGV[11] now (ms, this instance's clock)

  Output:
    {1 if this instance's entry was missing (it was reaped), dead instance ids...}
]]
--- @include "sessions"
--- @include "history"

local now = redisTime()
-- GT: a heartbeat that waited out a Redis outage never shortens a newer expiry.
local missing = redis.call("ZADD", KEYS[1], "GT", now + tonumber(ARGV[2]), ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", "(" .. ARGV[4])
local H = historyKeys(5, 5)
if H then
  recordHistory(H, 0, 0, onlineFigures(KEYS[4]), ARGV[11])
end
local expired = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. now, "LIMIT", 0, ARGV[3])
local out = {missing}
for _, id in ipairs(expired) do
  if id ~= ARGV[1] then
    out[#out + 1] = id
  end
end
return out

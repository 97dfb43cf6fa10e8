--[[
  Refreshes this instance's presence in one site and lists instances whose presence expired, both by
  Redis's clock, so instances whose clocks disagree neither reap each other nor keep ghosts; and drops
  page sessions and identities whose visit window ended (joins compare times instead, so they do not
  pay for the pruning). One script per instance and site, whatever the number of sessions it holds.
  It also records the figures online now into the current minute (a minute in which they did not
  change gets the value that held), and lists the history minutes pending for rollup-n.lua.

  Input:
    KEYS[1]  inst     ZSET instance id -> presence expiry (Redis time, ms)
    KEYS[2]  recent   ZSET "p:<psid>" -> leave time, of page sessions that closed; tag -> last activity
    KEYS[3]  online   HASH g/m/b -> identities online, peak, peakAt, minute -> pending history
    KEYS[4]  legacyPending  HASH minute -> pending history of version 5 (includes/history.lua)

    ARGV[1]  this instance's id
    ARGV[2]  presence TTL (ms)
    ARGV[3]  most dead instances to list at once
    ARGV[4]  visit cutoff = now - visit window (ms, this instance's clock)
    ARGV[5]  the minute's bucket key of now, as includes/history.lua describes
    ARGV[6]  now (ms, this instance's clock)
    ARGV[7]  age (ms) after its first record at which a pending minute is listed: its minute is over

  Output:
    {1 if this instance's entry was missing (it was reaped), {dead instance ids...},
     {pending minutes to roll up (of either hash, each once), oldest first}}
]]
--- @include "sessions"
--- @include "history"

local now = redisTime()
-- GT: a heartbeat that waited out a Redis outage never shortens a newer expiry.
local missing = redis.call("ZADD", KEYS[1], "GT", now + tonumber(ARGV[2]), ARGV[1])
-- The times pruned were written by every instance's clock: an instance whose clock runs ahead must not
-- end the others' visit windows early, so the cutoff is also at most Redis's time minus the window.
local cutoff = "(" .. math.min(tonumber(ARGV[4]), now - (tonumber(ARGV[6]) - tonumber(ARGV[4])))
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", cutoff)
local minute = historyMinute(5)
if minute then
  local O = onlineState(KEYS[3], minute)
  recordHistory(O, 0, 0, figuresOf(O), ARGV[6])
  saveOnline(O)
end
local expired = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. now, "LIMIT", 0, ARGV[3])
local dead = {}
for _, id in ipairs(expired) do
  if id ~= ARGV[1] then
    dead[#dead + 1] = id
  end
end
-- A few entries: the minutes of the last heartbeat interval.
local ready, listed = {}, {}
for k = 3, 4 do
  local pending = pendingEntries(KEYS[k])
  for i = 1, #pending, 2 do
    local field = pending[i]
    if not listed[field] then
      local since = tonumber(string.match(pending[i + 1], "(%S+)$"))
      if since <= tonumber(ARGV[6]) - tonumber(ARGV[7]) then
        ready[#ready + 1] = {since, field}
        listed[field] = true
      end
    end
  end
end
table.sort(ready, function(a, b) return a[1] < b[1] end)
local minutes = {}
for i, entry in ipairs(ready) do
  minutes[i] = entry[2]
end
return {missing, dead, minutes}

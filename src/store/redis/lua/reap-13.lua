--[[
  Ends every page session an instance holds and removes its presence entry: for instances that
  stopped heartbeating (crashed), and for an instance's own close(). Page sessions that moved to
  another instance are only dropped from the index. Their page readers end with them.

  Input:
    KEYS[1]  inst            ZSET instance id -> presence expiry (Redis time, ms)
    KEYS[2]  sess            HASH psid -> tag, of the instance being reaped
    KEYS[3]  holder          HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]"
    KEYS[4]  who             HASH tag -> open page sessions (and engaged ones, includes/pages.lua)
    KEYS[5]  online          HASH g/m/b -> identities online, peak, peakAt, minute -> pending history
    KEYS[6]  memberVisitors  HASH visitor id -> open member page sessions
    KEYS[7]  recent          ZSET "p:<psid>" -> leave time, of page sessions that closed; tag -> last activity
    KEYS[8..13]              the live-page keys, in the order of includes/pages.lua

    ARGV[1]  id of the instance being reaped
    ARGV[2]  now (ms)
    ARGV[3]  "1": only if its presence expired (by Redis's clock), as another instance reaping it;
             "0": unconditionally, as the instance's own close()
    ARGV[4]  the minute's bucket key of now, as includes/history.lua describes

  Output:
    number of page sessions ended
]]
--- @include "pages"
--- @include "sessions"
--- @include "history"

if ARGV[3] == "1" then
  -- It was listed as expired by a heartbeat, but may have heartbeated since: then it is alive.
  local expiry = redis.call("ZSCORE", KEYS[1], ARGV[1])
  if expiry and tonumber(expiry) >= redisTime() then
    return 0
  end
end

local P = pageKeys(8, KEYS[4])
local minute = historyMinute(4)
local O = onlineState(KEYS[5], minute)
local before = figuresOf(O)
local raised = false
local ended = 0
for _, psid in ipairs(redis.call("HKEYS", KEYS[2])) do
  local record = redis.call("HGET", KEYS[3], psid)
  if record and parseRecord(record) == ARGV[1] then
    raised = endSession(KEYS[3], KEYS[4], O, KEYS[6], KEYS[7], P, psid, record, ARGV[2]) or raised
    ended = ended + 1
  end
end
if minute and ended > 0 then
  recordHistory(O, 0, 0, raised and largerFigures(before, figuresOf(O)) or before, ARGV[2])
end
saveOnline(O)
redis.call("DEL", KEYS[2])
redis.call("ZREM", KEYS[1], ARGV[1])
return ended

--[[
  Ends a page session held by this instance. Unknown ids, repeats, and page sessions that moved to
  another instance change nothing (a moved one only leaves this instance's index).

  Input:
    KEYS[1]  sess            HASH psid -> tag, of this instance
    KEYS[2]  holder          HASH psid -> "<instance> <claim> <visitor> <tag>"
    KEYS[3]  who             HASH tag -> open page sessions
    KEYS[4]  online          HASH g/m/b -> identities online
    KEYS[5]  memberVisitors  HASH visitor id -> open member page sessions
    KEYS[6]  seen            ZSET psid -> +inf while open, leave time after
    KEYS[7]  last            ZSET tag -> last activity
    KEYS[8]  peak            HASH {online, at}

    ARGV[1]  instance id
    ARGV[2]  psid
    ARGV[3]  now (ms)

  Output:
    1 if the session was held here and ended, else 0
]]
--- @include "sessions"

redis.call("HDEL", KEYS[1], ARGV[2])
local record = redis.call("HGET", KEYS[2], ARGV[2])
if not record or parseRecord(record) ~= ARGV[1] then
  return 0
end
endSession(KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], ARGV[2], record, ARGV[3])
return 1

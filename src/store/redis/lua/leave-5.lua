--[[
  Ends a page session held by this instance; unknown ids (and repeats) change nothing.

  Input:
    KEYS[1]  sess    HASH psid -> tag, of this instance
    KEYS[2]  who     HASH tag -> open page sessions
    KEYS[3]  online  HASH g/m/b -> identities online
    KEYS[4]  seen    ZSET psid -> +inf while open, leave time after
    KEYS[5]  last    ZSET tag -> last activity

    ARGV[1]  psid
    ARGV[2]  now (ms)

  Output:
    1 if the session was held and ended, else 0
]]
--- @include "end-session"

local tag = redis.call("HGET", KEYS[1], ARGV[1])
if not tag then
  return 0
end
redis.call("HDEL", KEYS[1], ARGV[1])
endSession(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], tag, ARGV[2])
return 1

--[[
  Ends every page session of one instance and removes its presence entry: for instances that
  stopped heartbeating (crashed), and for an instance's own close().

  Input:
    KEYS[1]  inst    ZSET instance id -> presence expiry
    KEYS[2]  sess    HASH psid -> tag, of the instance being reaped
    KEYS[3]  who     HASH tag -> open page sessions
    KEYS[4]  online  HASH g/m/b -> identities online
    KEYS[5]  seen    ZSET psid -> +inf while open, leave time after
    KEYS[6]  last    ZSET tag -> last activity

    ARGV[1]  id of the instance being reaped
    ARGV[2]  now (ms)

  Output:
    number of page sessions ended
]]
--- @include "end-session"

local held = redis.call("HGETALL", KEYS[2])
for i = 1, #held, 2 do
  endSession(KEYS[3], KEYS[4], KEYS[5], KEYS[6], held[i], held[i + 1], ARGV[2])
end
redis.call("DEL", KEYS[2])
redis.call("ZREM", KEYS[1], ARGV[1])
return #held / 2

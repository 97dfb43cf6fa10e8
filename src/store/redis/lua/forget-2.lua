--[[
  Drops a page session from this instance's index once it moved to another instance (after the
  move notice); it changes nothing while this instance still holds it.

  Input:
    KEYS[1]  sess    HASH psid -> tag, of this instance
    KEYS[2]  holder  HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]"

    ARGV[1]  instance id
    ARGV[2]  psid

  Output:
    1 if it was dropped, else 0
]]
--- @include "sessions"

local record = redis.call("HGET", KEYS[2], ARGV[2])
if record and parseRecord(record) == ARGV[1] then
  return 0
end
return redis.call("HDEL", KEYS[1], ARGV[2])

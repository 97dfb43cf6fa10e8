--[[
  Ends one open page session. Shared by leave and reap so both count exactly alike.

  Input:
    who, online, seen, last   the site's keys (from the caller's KEYS)
    psid                      page-session id
    tag                       identity tag "<k>:<identity>", k = g guest, m member, b bot
    now                       time in ms

  The identity goes offline when its last page session ends; its activity time then starts
  the visit window. The psid keeps its leave time in seen so it can resume within the window.
]]
local function endSession(who, online, seen, last, psid, tag, now)
  if redis.call("HINCRBY", who, tag, -1) <= 0 then
    local kind = string.sub(tag, 1, 1)
    redis.call("HDEL", who, tag)
    redis.call("HINCRBY", online, kind, -1)
    if kind ~= "b" then
      redis.call("ZADD", last, "GT", now, tag)
    end
  end
  redis.call("ZADD", seen, now, psid)
end

--[[
  Page-session bookkeeping shared by join, leave and reap, so all of them count exactly alike.

  A page session's record in holder is "<instance> <claim> <visitor> <tag>[ <page part>]": the one
  instance holding it, that instance's number for the join (so a move notice reaches the right
  socket), the page's visitor id, its identity tag "<k>:<identity>", k = g guest, m member, b bot,
  and for guests and members the page it reads (includes/pages.lua, included before this file). Ids
  and tags never contain spaces.

  An identity is online while it has open page sessions (who), except that a guest whose visitor id
  also has a member page session open (memberVisitors) counts only as that member.
]]
-- Returns instance, claim, visitor, tag and the page part ("" for none).
local function parseRecord(record)
  return string.match(record, "^(%S+) (%S+) (%S+) (%S+) ?(.*)$")
end

-- Redis's own clock in ms: presence expiry written by one instance and compared by another must not
-- depend on either instance's clock.
local function redisTime()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function count(value)
  return tonumber(value) or 0
end

-- Counts one more open page session of tag; returns true when the identity came online with it.
local function addSession(who, online, memberVisitors, tag, visitor)
  local kind = string.sub(tag, 1, 1)
  local first = redis.call("HINCRBY", who, tag, 1) == 1
  if kind == "g" then
    if first and count(redis.call("HGET", memberVisitors, visitor)) == 0 then
      redis.call("HINCRBY", online, "g", 1)
    end
  else
    if first then
      redis.call("HINCRBY", online, kind, 1)
    end
    if kind == "m" and redis.call("HINCRBY", memberVisitors, visitor, 1) == 1
        and count(redis.call("HGET", who, "g:" .. visitor)) > 0 then
      redis.call("HINCRBY", online, "g", -1)
    end
  end
  return first
end

-- Counts one open page session of tag less; returns whether a guest became visible again (the total
-- may have grown), and whether it was tag's last open session. The identity's activity time starts
-- the visit window once it goes offline.
local function removeSession(who, online, memberVisitors, last, tag, visitor, now)
  local kind = string.sub(tag, 1, 1)
  local gone = redis.call("HINCRBY", who, tag, -1) <= 0
  if gone then
    redis.call("HDEL", who, tag)
    if kind ~= "b" then
      redis.call("ZADD", last, "GT", now, tag)
    end
  end
  if kind == "g" then
    if gone and count(redis.call("HGET", memberVisitors, visitor)) == 0 then
      redis.call("HINCRBY", online, "g", -1)
    end
    return false, gone
  end
  if gone then
    redis.call("HINCRBY", online, kind, -1)
  end
  if kind == "m" and redis.call("HINCRBY", memberVisitors, visitor, -1) <= 0 then
    redis.call("HDEL", memberVisitors, visitor)
    if count(redis.call("HGET", who, "g:" .. visitor)) > 0 then
      redis.call("HINCRBY", online, "g", 1)
      return true, gone
    end
  end
  return false, gone
end

-- {online, guests, members, bots} now: one read serves the peak and the history buckets.
local function onlineFigures(online)
  local v = redis.call("HMGET", online, "g", "m", "b")
  local g, m = count(v[1]), count(v[2])
  return {g + m, g, m, count(v[3])}
end

-- figures: onlineFigures after the change.
local function updatePeak(figures, peak, now)
  if figures[1] > count(redis.call("HGET", peak, "online")) then
    redis.call("HSET", peak, "online", figures[1], "at", now)
  end
end

-- Ends an open page session whose record holder held, and its page reader (P: pageKeys); its psid
-- keeps its leave time in seen so it can resume within the visit window. Returns true when a figure
-- may have grown (a guest counts again).
local function endSession(holder, who, online, memberVisitors, seen, last, peak, P, psid, record, now)
  local _, _, visitor, tag, part = parseRecord(record)
  redis.call("HDEL", holder, psid)
  local raised, gone = removeSession(who, online, memberVisitors, last, tag, visitor, now)
  local page = parsePage(part)
  if page then
    endPage(P, tag, page, gone)
  end
  if raised then
    updatePeak(onlineFigures(online), peak, now)
  end
  redis.call("ZADD", seen, now, psid)
  return raised
end

--[[
  Page-session bookkeeping shared by join, leave and reap, so all of them count exactly alike.

  A page session's record in holder is "<instance> <claim> <visitor> <tag>[ <page part>]": the one
  instance holding it, that instance's number for the join (so a move notice reaches the right
  socket), the page's visitor id, its identity tag "<k>:<identity>", k = g guest, m member, b bot,
  and for guests and members the page it reads (includes/pages.lua, included before this file). Ids
  and tags never contain spaces.

  An identity is online while it has open page sessions (who), except that a guest whose visitor id
  also has a member page session open (memberVisitors) counts only as that member.

  The online hash holds the figures (g, m, b), the site's peak (peak, peakAt) and the pending history
  minutes (includes/history.lua), so a script reads them all with one HMGET into a state O
  (onlineState), changes O, and writes what changed with one HSET (saveOnline).

  recent is one ZSET for two kinds of times: "p:<psid>" -> leave time, of page sessions that closed
  (an open one is in holder), and tag -> last activity of an identity (tags never start with "p:").
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

-- The figures, peak and, when minute is given, that minute's pending history entry of the online hash.
local function onlineState(online, minute)
  local v = redis.call("HMGET", online, "g", "m", "b", "peak", "peakAt", minute or "peak")
  return {key = online, g = count(v[1]), m = count(v[2]), b = count(v[3]), peak = count(v[4]), peakAt = v[5],
          minute = minute, pending = minute and v[6] or nil, dirty = {}}
end

-- {online, guests, members, bots} of O now.
local function figuresOf(O)
  return {O.g + O.m, O.g, O.m, O.b}
end

local function moveOnline(O, kind, step)
  O[kind] = O[kind] + step
  O.dirty[kind] = true
end

-- Writes what changed in O (figures, peak, pending minute) with one HSET.
local function saveOnline(O)
  local fields = {}
  for _, name in ipairs({"g", "m", "b", "peak", "peakAt"}) do
    if O.dirty[name] then
      fields[#fields + 1], fields[#fields + 2] = name, O[name]
    end
  end
  if O.dirty.pending then
    fields[#fields + 1], fields[#fields + 2] = O.minute, O.pending
  end
  if #fields > 0 then
    redis.call("HSET", O.key, unpack(fields))
  end
end

-- A guest's visitor can have a member page session open only while some member is online.
local function memberVisitorOpen(O, memberVisitors, visitor)
  return O.m > 0 and count(redis.call("HGET", memberVisitors, visitor)) > 0
end

-- Counts one more open page session of tag, engaged or not (who: includes/pages.lua); returns true
-- when the identity came online with it, and when engaged, tag's engaged sessions now.
local function addSession(who, O, memberVisitors, tag, visitor, engaged)
  local kind = string.sub(tag, 1, 1)
  local v = redis.call("HINCRBY", who, tag, engaged and 1 + ENGAGED or 1)
  local first = v % ENGAGED == 1
  local engagedNow = engaged and math.floor(v / ENGAGED) or nil
  if kind == "g" then
    if first and not memberVisitorOpen(O, memberVisitors, visitor) then
      moveOnline(O, "g", 1)
    end
  else
    if first then
      moveOnline(O, kind, 1)
    end
    if kind == "m" and redis.call("HINCRBY", memberVisitors, visitor, 1) == 1
        and count(redis.call("HGET", who, "g:" .. visitor)) > 0 then
      moveOnline(O, "g", -1)
    end
  end
  return first, engagedNow
end

-- Counts one open page session of tag less, engaged or not; returns whether a guest became visible
-- again (the total may have grown), whether it was tag's last open session, and when engaged, tag's
-- engaged sessions left.
local function removeSession(who, O, memberVisitors, tag, visitor, engaged)
  local kind = string.sub(tag, 1, 1)
  local v = redis.call("HINCRBY", who, tag, engaged and -1 - ENGAGED or -1)
  local gone = v <= 0 or v % ENGAGED == 0
  local engagedLeft = engaged and (v > 0 and math.floor(v / ENGAGED) or 0) or nil
  if gone then
    redis.call("HDEL", who, tag)
  end
  if kind == "g" then
    if gone and not memberVisitorOpen(O, memberVisitors, visitor) then
      moveOnline(O, "g", -1)
    end
    return false, gone, engagedLeft
  end
  if gone then
    moveOnline(O, kind, -1)
  end
  if kind == "m" and redis.call("HINCRBY", memberVisitors, visitor, -1) <= 0 then
    redis.call("HDEL", memberVisitors, visitor)
    if count(redis.call("HGET", who, "g:" .. visitor)) > 0 then
      moveOnline(O, "g", 1)
      return true, gone, engagedLeft
    end
  end
  return false, gone, engagedLeft
end

-- An identity that went offline starts its visit window now, and a closed page session (psid, or
-- nil) can resume within it: one ZADD. GT: a later time is never shortened.
local function markLeft(recent, now, tag, gone, psid)
  local args = {}
  if gone and string.sub(tag, 1, 1) ~= "b" then
    args[#args + 1], args[#args + 2] = now, tag
  end
  if psid then
    args[#args + 1], args[#args + 2] = now, "p:" .. psid
  end
  if #args > 0 then
    redis.call("ZADD", recent, "GT", unpack(args))
  end
end

local function updatePeak(O, now)
  local online = O.g + O.m
  if online > O.peak then
    O.peak, O.peakAt = online, now
    O.dirty.peak, O.dirty.peakAt = true, true
  end
end

-- Ends an open page session whose record holder held, and its page reader (P: pageKeys); its psid
-- keeps its leave time in recent so it can resume within the visit window. Returns true when a
-- figure may have grown (a guest counts again).
local function endSession(holder, who, O, memberVisitors, recent, P, psid, record, now)
  local _, _, visitor, tag, part = parseRecord(record)
  redis.call("HDEL", holder, psid)
  local page = parsePage(part)
  local raised, gone, engaged = removeSession(who, O, memberVisitors, tag, visitor, page and page.engaged)
  if page then
    endPage(P, tag, page, gone, engaged)
  end
  if raised then
    updatePeak(O, now)
  end
  markLeft(recent, now, tag, gone, psid)
  return raised
end

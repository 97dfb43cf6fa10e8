--[[
  Counts one open page session held by an instance.

  Input:
    KEYS[1]  inst    ZSET instance id -> presence expiry
    KEYS[2]  sess    HASH psid -> tag, of this instance
    KEYS[3]  who     HASH tag -> open page sessions
    KEYS[4]  online  HASH g/m/b -> identities online
    KEYS[5]  seen    ZSET psid -> +inf while open, leave time after
    KEYS[6]  last    ZSET tag -> last activity
    KEYS[7]  tot     HASH {visits, pageviews}
    KEYS[8]  day     HASH {visits, pageviews}
    KEYS[9]  month   HASH {visits, pageviews}
    KEYS[10] peak    HASH {online, at}

    ARGV[1]  instance id
    ARGV[2]  psid
    ARGV[3]  identity tag "<k>:<identity>", k = g guest, m member, b bot
    ARGV[4]  now (ms)
    ARGV[5]  presence expiry of this instance (ms)
    ARGV[6]  visit cutoff = now - visit window (ms)
    ARGV[7]  day key TTL (s)
    ARGV[8]  month key TTL (s)
    ARGV[9]  "1" when re-joining a session this instance already counted (after being reaped):
             never a pageview

  Output:
    {pageview 0|1, visit 0|1, 1 if this instance's presence entry was missing}
]]
local rcall = redis.call
local psid, tag, now, cutoff = ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local kind = string.sub(tag, 1, 1)

-- GT (here and for last below): a join that waited out a Redis outage never moves a time backwards.
local missing = rcall("ZADD", KEYS[1], "GT", ARGV[5], ARGV[1])

-- Held already: a repeated join, or ioredis re-sending after a lost reply, counts nothing.
if rcall("HSETNX", KEYS[2], psid, tag) == 0 then
  return {0, 0, missing}
end

-- After pruning, presence in seen/last means "within the visit window".
rcall("ZREMRANGEBYSCORE", KEYS[5], "-inf", "(" .. cutoff)
rcall("ZREMRANGEBYSCORE", KEYS[6], "-inf", "(" .. cutoff)

local first = rcall("HINCRBY", KEYS[3], tag, 1) == 1
if first then
  rcall("HINCRBY", KEYS[4], kind, 1)
end

local pageview = ARGV[9] ~= "1" and not rcall("ZSCORE", KEYS[5], psid)
rcall("ZADD", KEYS[5], "+inf", psid)

if kind == "b" then
  return {0, 0, missing}
end

local visit = false
if pageview then
  visit = first and not rcall("ZSCORE", KEYS[6], tag)
  -- HINCRBY keeps totals as 64-bit integers in Redis; Lua never does arithmetic on them.
  for i = 7, 9 do
    rcall("HINCRBY", KEYS[i], "pageviews", 1)
    if visit then
      rcall("HINCRBY", KEYS[i], "visits", 1)
    end
  end
  rcall("EXPIRE", KEYS[8], ARGV[7])
  rcall("EXPIRE", KEYS[9], ARGV[8])
end
rcall("ZADD", KEYS[6], "GT", now, tag)

if first then
  local counts = rcall("HMGET", KEYS[4], "g", "m")
  local online = (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0)
  if online > (tonumber(rcall("HGET", KEYS[10], "online")) or 0) then
    rcall("HSET", KEYS[10], "online", online, "at", now)
  end
end

return {pageview and 1 or 0, visit and 1 or 0, missing}

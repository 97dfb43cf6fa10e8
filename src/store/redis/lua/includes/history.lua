--[[
  History buckets, shared by join, leave, reap and heartbeat. A bucket is one field of one of four
  hashes (keys.ts historyOf: the minutes of a local hour, the hours of a local day, the days of a
  local year, all months), its value "<pageviews> <visits> <online> <guests> <members> <bots>" and,
  for days and months, " <when online peaked (ms) or -> <imported 0|1>" (import-history-n.lua). One
  field a bucket: a join reads and writes each of its four buckets once.

  Online figures change only in join, leave and reap, so each records into the current buckets the
  larger of a figure's value before (it held until now) and after (it holds from now); the heartbeat
  records the figures that held through buckets without a change. A peak is the largest site-wide
  figure seen, so instances recording the same figure never add up, and recording twice is harmless.

  The six ARGV from `first` (scripts.ts historyTarget): minute, hour, day and month field ("" when the
  caller knows no buckets: nothing is recorded), then the TTLs (s) of a new minutes and hours hash.
]]
local function historyKeys(firstKey, first)
  if ARGV[first] == "" then
    return nil
  end
  return {keys = {KEYS[firstKey], KEYS[firstKey + 1], KEYS[firstKey + 2], KEYS[firstKey + 3]},
          fields = {ARGV[first], ARGV[first + 1], ARGV[first + 2], ARGV[first + 3]},
          ttls = {ARGV[first + 4], ARGV[first + 5]}}
end

-- {online, guests, members, bots} now.
local function onlineFigures(online)
  local v = redis.call("HMGET", online, "g", "m", "b")
  local g, m = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  return {g + m, g, m, tonumber(v[3]) or 0}
end

local function largerFigures(a, b)
  if not a then
    return b
  end
  return {math.max(a[1], b[1]), math.max(a[2], b[2]), math.max(a[3], b[3]), math.max(a[4], b[4])}
end

-- Adds pageviews and visits begun now to the current buckets and raises their peaks to `figures`.
-- Every record goes to all four buckets of one instant, so a bucket's peaks are at least those of the
-- buckets inside it: once a bucket needs nothing, the larger ones do not either (a leave or a
-- heartbeat mostly reads the minute only).
local function recordHistory(H, pageviews, visits, figures, now)
  for i = 1, 4 do
    local key, field = H.keys[i], H.fields[i]
    local old = redis.call("HGET", key, field)
    local b = {0, 0, 0, 0, 0, 0, "-", "0"}
    local n = 0
    for part in string.gmatch(old or "", "%S+") do
      n = n + 1
      b[n] = n <= 6 and tonumber(part) or part
    end
    local changed = pageviews > 0
    b[1], b[2] = b[1] + pageviews, b[2] + visits
    for f = 1, 4 do
      if figures[f] > b[f + 2] then
        b[f + 2] = figures[f]
        changed = true
        if f == 1 then
          b[7] = now
        end
      end
    end
    if not changed then
      return
    end
    local parts = {}
    for f = 1, i <= 2 and 6 or 8 do
      parts[f] = f <= 6 and string.format("%d", b[f]) or b[f]
    end
    redis.call("HSET", key, field, table.concat(parts, " "))
    -- NX: the TTL is set once, by the hash's first bucket.
    if not old and i <= 2 then
      redis.call("EXPIRE", key, H.ttls[i], "NX")
    end
  end
end

--[[
  Adds pending history minutes (includes/history.lua) into their minute, hour, day and month
  buckets and deletes them, atomically: a re-run, or another instance rolling the same minute, finds
  nothing left to add. A minute's pageviews and visits add up; each peak is the larger one; a day's
  or month's peak time follows its online peak; an imported day or month stays marked imported. A
  minute pending in the online hash also adds its pageviews and visits to the lifetime totals and to
  its day's and month's; one pending in the version 5 hash does not (its joins counted them).

  Input:
    KEYS[1]     online         HASH minute bucket key -> pending figures (and the online figures)
    KEYS[2]     legacyPending  HASH minute bucket key -> pending figures of version 5
    KEYS[3]     tot            HASH {visits, pageviews}
    KEYS[4..k]  history hashes the minutes fall in (keys.ts historyOf) and day and month totals
                hashes (keys.ts day, month), each once

    ARGV[1]     TTL (s) of a new minutes hash, ARGV[2] of a new hours hash
    ARGV[3]     TTL (s) of a day's totals, ARGV[4] of a month's
    ARGV[5..]   eleven a minute, oldest first: its bucket key (the pending field), then for its
                minute, hour, day and month bucket the index of its hash in KEYS and its field, then
                the index in KEYS of its day's and its month's totals hash

  Output:
    number of pending entries added
]]
--- @include "history"

local function addToBuckets(p, i)
  for level = 1, 4 do
    local key, field = KEYS[tonumber(ARGV[i + 2 * level - 1])], ARGV[i + 2 * level]
    local old = redis.call("HGET", key, field)
    local b = historyParts(old, {0, 0, 0, 0, 0, 0, "-", "0"})
    b[1], b[2] = b[1] + p[1], b[2] + p[2]
    for f = 3, 6 do
      if p[f] > b[f] then
        b[f] = p[f]
        if f == 3 then
          b[7] = p[7]
        end
      end
    end
    redis.call("HSET", key, field, historyValue(b, level <= 2 and 6 or 8))
    -- NX: the TTL is set once, by the hash's first bucket.
    if not old and level <= 2 then
      redis.call("EXPIRE", key, ARGV[level], "NX")
    end
  end
end

-- HINCRBY keeps totals as 64-bit integers in Redis; a period's hash gets its TTL once.
local function addToTotals(p, i)
  for t, key in ipairs({KEYS[3], KEYS[tonumber(ARGV[i + 9])], KEYS[tonumber(ARGV[i + 10])]}) do
    redis.call("HINCRBY", key, "pageviews", p[1])
    redis.call("HINCRBY", key, "visits", p[2])
    if t > 1 then
      redis.call("EXPIRE", key, ARGV[t + 1], "NX")
    end
  end
end

local rolled = 0
for i = 5, #ARGV, 11 do
  for k = 1, 2 do
    local pending = redis.call("HGET", KEYS[k], ARGV[i])
    if pending then
      local p = historyParts(pending, {0, 0, 0, 0, 0, 0, "-"})
      addToBuckets(p, i)
      if k == 1 and (p[1] > 0 or p[2] > 0) then
        addToTotals(p, i)
      end
      redis.call("HDEL", KEYS[k], ARGV[i])
      rolled = rolled + 1
    end
  end
end
return rolled

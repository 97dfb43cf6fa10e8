--[[
  Adds pending history minutes (includes/history.lua) into their minute, hour, day and month
  buckets and deletes them, atomically: a re-run, or another instance rolling the same minute, finds
  nothing left to add. A minute's pageviews and visits add up; each peak is the larger one; a day's
  or month's peak time follows its online peak; an imported day or month stays marked imported.

  Input:
    KEYS[1]     pending  HASH minute bucket key -> pending figures (keys.ts historyPending)
    KEYS[2..k]  history hashes the minutes fall in (keys.ts historyOf), each once

    ARGV[1]     TTL (s) of a new minutes hash, ARGV[2] of a new hours hash
    ARGV[3..]   nine a minute, oldest first: its bucket key (the pending field), then for its minute,
                hour, day and month bucket the index of its hash in KEYS and its field

  Output:
    number of minutes added
]]
--- @include "history"

local rolled = 0
for i = 3, #ARGV, 9 do
  local pending = redis.call("HGET", KEYS[1], ARGV[i])
  if pending then
    local p = historyParts(pending, {0, 0, 0, 0, 0, 0, "-"})
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
    redis.call("HDEL", KEYS[1], ARGV[i])
    rolled = rolled + 1
  end
end
return rolled

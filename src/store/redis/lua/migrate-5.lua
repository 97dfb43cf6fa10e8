--[[
  Moves one batch of a site's version 5 data into the layout of version 6; the store runs it at start,
  for each configured site, until it moves nothing (version 5 instances are stopped first, as for any
  change of scripts.ts VERSION):
  - seen (psid -> leave time) and last (tag -> last activity) into recent, as "p:<psid>" and tag
    (includes/sessions.lua), keeping the later time of an entry found in both, so a page that closed
    before the upgrade still resumes, and an identity's visit window still holds;
  - engagedBy (tag -> engaged open page sessions) into who, as ENGAGED per engaged session
    (includes/pages.lua), for identities still open (an instance of version 5 that crashed left them; the
    reap that ends them takes the engaged ones off who).

  Input:
    KEYS[1]  recent           ZSET "p:<psid>" -> leave time; tag -> last activity
    KEYS[2]  legacySeen       ZSET psid -> leave time
    KEYS[3]  legacyLast       ZSET tag -> last activity
    KEYS[4]  legacyEngagedBy  HASH tag -> engaged open page sessions
    KEYS[5]  who              HASH tag -> open page sessions + ENGAGED per engaged one

    ARGV[1]  most entries taken from each version 5 key in this call

  Output:
    entries moved (0: nothing is left)
]]
--- @include "pages"

local batch = tonumber(ARGV[1])
local moved = 0

local function moveTimes(from, prefix)
  local popped = redis.call("ZPOPMIN", from, batch)
  if #popped == 0 then
    return
  end
  local args = {}
  for i = 1, #popped, 2 do
    args[#args + 1] = popped[i + 1]
    args[#args + 1] = prefix .. popped[i]
  end
  redis.call("ZADD", KEYS[1], "GT", unpack(args))
  moved = moved + #popped / 2
end

moveTimes(KEYS[2], "p:")
moveTimes(KEYS[3], "")

-- HSCAN from 0 each call: the fields it returns are deleted, so the next call finds the rest. A scan
-- step may return no field while more remain: it goes on until it found some or the scan ended.
local cursor = "0"
repeat
  local step = redis.call("HSCAN", KEYS[4], cursor, "COUNT", batch)
  cursor = step[1]
  local fields = step[2]
  if #fields > 0 then
    local done = {}
    for i = 1, #fields, 2 do
      local tag, engaged = fields[i], tonumber(fields[i + 1])
      if engaged > 0 and redis.call("HEXISTS", KEYS[5], tag) == 1 then
        redis.call("HINCRBY", KEYS[5], tag, engaged * ENGAGED)
      end
      done[#done + 1] = tag
    end
    redis.call("HDEL", KEYS[4], unpack(done))
    moved = moved + #done
  end
until cursor == "0" or moved >= batch
return moved

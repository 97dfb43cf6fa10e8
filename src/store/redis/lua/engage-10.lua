--[[
  Records that a page session held by this instance turned engaged or idle, and adds the engaged
  time it reported to its page's day. Unknown ids and sessions held elsewhere change nothing.

  Input:
    KEYS[1]  holder       HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]"
    KEYS[2]  who          HASH tag -> open page sessions and engaged ones (includes/pages.lua)
    KEYS[3..8]            the live-page keys, in the order of includes/pages.lua
    KEYS[9]  dayPages     ZSET url -> pageviews, of the reported day
    KEYS[10] dayPageInfo  HASH "e <url>" -> engaged ms (and titles, sections), of the reported day

    ARGV[1]  instance id
    ARGV[2]  psid
    ARGV[3]  "1" engaged now, "0" idle
    ARGV[4]  engaged ms not yet reported (0: none)
    ARGV[5]  day pages TTL (s), ARGV[6] most day pages kept, ARGV[7] day pages that start a trim

  Output:
    1 if the page's live figures changed, else 0
]]
--- @include "pages"
--- @include "sessions"

local record = redis.call("HGET", KEYS[1], ARGV[2])
if not record then
  return 0
end
local from, claim, visitor, tag, part = parseRecord(record)
local page = parsePage(part)
if from ~= ARGV[1] or not page then
  return 0
end
addEngagedMs(dayKeys(KEYS[9], KEYS[10], 5), page.url, ARGV[4])
local engaged = ARGV[3] == "1"
if page.engaged == engaged then
  return 0
end
local now = engagePage(pageKeys(3, KEYS[2]), tag, page, engaged)
redis.call("HSET", KEYS[1], ARGV[2], from .. " " .. claim .. " " .. visitor .. " " .. tag .. " " .. pagePart(now))
return 1

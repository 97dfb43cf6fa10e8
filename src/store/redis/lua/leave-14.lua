--[[
  Ends a page session held by this instance, with its page reader; its last engaged time goes to its
  page's day. Unknown ids, repeats, and page sessions that moved to another instance change nothing
  (a moved one only leaves this instance's index).

  Input:
    KEYS[1]  sess            HASH psid -> tag, of this instance
    KEYS[2]  holder          HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]"
    KEYS[3]  who             HASH tag -> open page sessions (and engaged ones, includes/pages.lua)
    KEYS[4]  online          HASH g/m/b -> identities online, peak, peakAt, minute -> pending history
    KEYS[5]  memberVisitors  HASH visitor id -> open member page sessions
    KEYS[6]  recent          ZSET "p:<psid>" -> leave time, of page sessions that closed; tag -> last activity
    KEYS[7..12]              the live-page keys, in the order of includes/pages.lua
    KEYS[13] dayPages        ZSET url -> pageviews, of the reported day
    KEYS[14] dayPageInfo     HASH "e <url>" -> engaged ms (and titles, sections), of the reported day

    ARGV[1]  instance id
    ARGV[2]  psid
    ARGV[3]  now (ms)
    ARGV[4]  engaged ms not yet reported (0: none)
    ARGV[5]  day pages TTL (s), ARGV[6] most day pages kept, ARGV[7] day pages that start a trim
    ARGV[8]  the minute's bucket key of now, as includes/history.lua describes

  Output:
    1 if the session was held here and ended, else 0
]]
--- @include "pages"
--- @include "sessions"
--- @include "history"

redis.call("HDEL", KEYS[1], ARGV[2])
local record = redis.call("HGET", KEYS[2], ARGV[2])
if not record then
  return 0
end
local from, _, _, _, part = parseRecord(record)
if from ~= ARGV[1] then
  return 0
end
local page = parsePage(part)
if page then
  addEngagedMs(dayKeys(KEYS[13], KEYS[14], 5), page.url, ARGV[4])
end
local minute = historyMinute(8)
local O = onlineState(KEYS[4], minute)
-- Every change of a figure records into the current minute what held before it and what holds after,
-- so once the minute has a pending entry it holds the figures this leave ends; a leave only lowers
-- them, except a guest who counts again (raised). A new entry needs the figures that held until now.
local before = minute and not O.pending and figuresOf(O)
local raised = endSession(KEYS[2], KEYS[3], O, KEYS[5], KEYS[6], pageKeys(7, KEYS[3]), ARGV[2], record, ARGV[3])
if minute and (before or raised) then
  recordHistory(O, 0, 0, raised and largerFigures(before, figuresOf(O)) or before, ARGV[3])
end
saveOnline(O)
return 1

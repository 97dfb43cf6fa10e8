--[[
  Counts one open page session held by an instance. A psid has one holder: when another instance
  holds it (the page reconnected here while its old socket there may still be open), it moves here
  without being counted again, and the old holder is told on the replaced channel. A guest's or
  member's session also reads a page (includes/pages.lua), and its pageview counts in the page's day.
  Its pageview and visit go to the minute's pending history entry only: the rollup adds them to the
  lifetime, day and month totals (includes/history.lua).

  Input:
    KEYS[1]  inst            ZSET instance id -> presence expiry (Redis time, ms)
    KEYS[2]  sess            HASH psid -> tag, of this instance
    KEYS[3]  holder          HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]"
    KEYS[4]  who             HASH tag -> open page sessions (and engaged ones, includes/pages.lua)
    KEYS[5]  online          HASH g/m/b -> identities online, peak, peakAt, minute -> pending history
    KEYS[6]  memberVisitors  HASH visitor id -> open member page sessions
    KEYS[7]  recent          ZSET "p:<psid>" -> leave time, of page sessions that closed; tag -> last activity
    KEYS[8..13]              the live-page keys, in the order of includes/pages.lua
    KEYS[14] dayPages        ZSET url -> pageviews of the day
    KEYS[15] dayPageInfo     HASH "t <url>", "s <url>" -> title, section; "e <url>" -> engaged ms, of the day

    ARGV[1]  instance id
    ARGV[2]  psid
    ARGV[3]  identity tag "<k>:<identity>", k = g guest, m member, b bot
    ARGV[4]  the page's visitor id
    ARGV[5]  now (ms, the instance's clock: visit windows and bucket times)
    ARGV[6]  presence TTL (ms), counted from Redis's clock
    ARGV[7]  visit cutoff = now - visit window (ms)
    ARGV[8]  "1" when re-joining a session this instance already counted (after being reaped):
             never a pageview, and never taken from another instance
    ARGV[9]  claim: this instance's number for this join
    ARGV[10] replaced channel
    ARGV[11] site id (for the replaced notice)
    ARGV[12] page part "<engaged 0|1> <source> <host or -> <url>"; "" for bots
    ARGV[13] title, ARGV[14] section, ARGV[15] author of the page ("" for none)
    ARGV[16] most live pages, ARGV[17] most live referring hosts
    ARGV[18] OTHER_PAGE, ARGV[19] OTHER_REFERRER
    ARGV[20] day pages TTL (s), ARGV[21] most day pages kept, ARGV[22] day pages that start a trim
    ARGV[23] the minute's bucket key, as includes/history.lua describes

  Output:
    {pageview 0|1, visit 0|1, 1 if this instance's presence entry was missing,
     1 if a re-join found the page session held by another instance}
]]
--- @include "pages"
--- @include "sessions"
--- @include "history"

local rcall = redis.call
local instance, psid, tag, visitor, now, cutoff = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[7]
local kind = string.sub(tag, 1, 1)
local record = instance .. " " .. ARGV[9] .. " " .. visitor .. " " .. tag
local P = pageKeys(8, KEYS[4])
local page = parsePage(ARGV[12])
local meta = {ARGV[13], ARGV[14], ARGV[15]}
local limits = {ARGV[16], ARGV[17], ARGV[18], ARGV[19]}
local minute = historyMinute(23)
local function withPage(counted)
  return counted and record .. " " .. pagePart(counted) or record
end

-- The heartbeat keeps this instance's presence; a join only puts back an entry that was reaped.
local missing = 0
if not rcall("ZSCORE", KEYS[1], instance) then
  missing = rcall("ZADD", KEYS[1], "GT", redisTime() + tonumber(ARGV[6]), instance)
end

local held = rcall("HGET", KEYS[3], psid)
if held then
  local from, claim, oldVisitor, oldTag, oldPart = parseRecord(held)
  if from ~= instance then
    if ARGV[8] == "1" then
      rcall("HDEL", KEYS[2], psid)
      return {0, 0, missing, 1}
    end
    rcall("HSET", KEYS[2], psid, tag)
    rcall("PUBLISH", ARGV[10], cjson.encode({site = ARGV[11], psid = psid, from = from, claim = tonumber(claim)}))
  end
  -- Held here now: a repeated join, a reconnect, or ioredis re-sending after a lost reply counts
  -- nothing; the newest claim is kept. Only a changed identity moves the online counts, and only a
  -- changed identity or page moves the page's reader (who keeps the source the session started with).
  local oldPage = parsePage(oldPart)
  if oldTag ~= tag or oldVisitor ~= visitor then
    local O = onlineState(KEYS[5], minute)
    local before = figuresOf(O)
    -- The same identity keeps the session's engagement; a new one gets it with its page below.
    local engaged = oldTag == tag and oldPage and oldPage.engaged
    local _, gone, left = removeSession(KEYS[4], O, KEYS[6], oldTag, oldVisitor, engaged)
    markLeft(KEYS[7], now, oldTag, gone, nil)
    local _, engagedNow = addSession(KEYS[4], O, KEYS[6], tag, visitor, engaged)
    if engaged then
      engagedMoved(P, -1, left)
      engagedMoved(P, 1, engagedNow)
    end
    local after = figuresOf(O)
    updatePeak(O, now)
    if minute then
      recordHistory(O, 0, 0, largerFigures(before, after), now)
    end
    saveOnline(O)
  end
  local counted = nil
  if oldPage and page and oldTag == tag and (oldPage.url == page.url or oldPage.url == ARGV[18]) then
    counted = engagePage(P, tag, oldPage, page.engaged)
    if counted.url ~= ARGV[18] then
      keepMeta(P.meta, counted.url, meta, PAGE_META)
    end
  else
    if oldPage then
      endPage(P, oldTag, oldPage)
      if page then
        page.source, page.host = oldPage.source, oldPage.host
      end
    end
    if page then
      counted = startPage(P, tag, page, meta, limits)
    end
  end
  rcall("HSET", KEYS[3], psid, withPage(counted))
  return {0, 0, missing, 0}
end

rcall("HSET", KEYS[2], psid, tag)
local O = onlineState(KEYS[5], minute)
-- Only a member's join can lower a figure: its visitor's guest stops counting.
local before = minute and kind == "m" and figuresOf(O)
local first, engaged = addSession(KEYS[4], O, KEYS[6], tag, visitor, page and page.engaged)
local counted = page and startPage(P, tag, page, meta, limits, first, engaged)
rcall("HSET", KEYS[3], psid, withPage(counted))

if kind == "b" then
  if minute and first then
    recordHistory(O, 0, 0, figuresOf(O), now)
  end
  saveOnline(O)
  return {0, 0, missing, 0}
end

-- recent is pruned by the heartbeats: an entry counts only within the visit window. The identity's
-- time is read only while it is offline (markLeft writes it when it goes offline).
local function withinWindow(score)
  return score ~= false and tonumber(score) >= tonumber(cutoff)
end

local pageview, visit = false, false
if ARGV[8] ~= "1" then
  local times = rcall("ZMSCORE", KEYS[7], "p:" .. psid, tag)
  pageview = not withinWindow(times[1])
  visit = pageview and first and not withinWindow(times[2])
end
if pageview and counted then
  countDayPageview(dayKeys(KEYS[14], KEYS[15], 20), counted.url, counted.url ~= ARGV[18] and meta or nil)
end

if first then
  updatePeak(O, now)
end
-- The pending minute counts pageviews and visits for the buckets and the totals alike.
if minute and (first or pageview or before) then
  recordHistory(O, pageview and 1 or 0, visit and 1 or 0, largerFigures(before, figuresOf(O)), now)
end
saveOnline(O)

return {pageview and 1 or 0, visit and 1 or 0, missing, 0}

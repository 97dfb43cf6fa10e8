--[[
  Counts one open page session held by an instance. A psid has one holder: when another instance
  holds it (the page reconnected here while its old socket there may still be open), it moves here
  without being counted again, and the old holder is told on the replaced channel. A guest's or
  member's session also reads a page (includes/pages.lua), and its pageview counts in the page's day.

  Input:
    KEYS[1]  inst            ZSET instance id -> presence expiry (Redis time, ms)
    KEYS[2]  sess            HASH psid -> tag, of this instance
    KEYS[3]  holder          HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]"
    KEYS[4]  who             HASH tag -> open page sessions
    KEYS[5]  online          HASH g/m/b -> identities online
    KEYS[6]  memberVisitors  HASH visitor id -> open member page sessions
    KEYS[7]  seen            ZSET psid -> leave time, of page sessions that closed
    KEYS[8]  last            ZSET tag -> last activity
    KEYS[9]  tot             HASH {visits, pageviews}
    KEYS[10] day             HASH {visits, pageviews}
    KEYS[11] month           HASH {visits, pageviews}
    KEYS[12] peak            HASH {online, at}
    KEYS[13..19]             the live-page keys, in the order of includes/pages.lua
    KEYS[20] dayPages        ZSET url -> pageviews of the day
    KEYS[21] dayPageInfo     HASH "t <url>", "s <url>" -> title, section; "e <url>" -> engaged ms, of the day
    KEYS[22] historyPending  HASH minute bucket key -> figures not yet rolled up (includes/history.lua)

    ARGV[1]  instance id
    ARGV[2]  psid
    ARGV[3]  identity tag "<k>:<identity>", k = g guest, m member, b bot
    ARGV[4]  the page's visitor id
    ARGV[5]  now (ms, the instance's clock: visit windows and bucket times)
    ARGV[6]  presence TTL (ms), counted from Redis's clock
    ARGV[7]  visit cutoff = now - visit window (ms)
    ARGV[8]  day key TTL (s)
    ARGV[9]  month key TTL (s)
    ARGV[10] "1" when re-joining a session this instance already counted (after being reaped):
             never a pageview, and never taken from another instance
    ARGV[11] claim: this instance's number for this join
    ARGV[12] replaced channel
    ARGV[13] site id (for the replaced notice)
    ARGV[14] page part "<engaged 0|1> <source> <host or -> <url>"; "" for bots
    ARGV[15] title, ARGV[16] section, ARGV[17] author of the page ("" for none)
    ARGV[18] most live pages, ARGV[19] most live referring hosts
    ARGV[20] OTHER_PAGE, ARGV[21] OTHER_REFERRER
    ARGV[22] day pages TTL (s), ARGV[23] most day pages kept, ARGV[24] day pages that start a trim
    ARGV[25] the minute's bucket key, as includes/history.lua describes

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
local record = instance .. " " .. ARGV[11] .. " " .. visitor .. " " .. tag
local P = pageKeys(13)
local page = parsePage(ARGV[14])
local meta = {ARGV[15], ARGV[16], ARGV[17]}
local limits = {ARGV[18], ARGV[19], ARGV[20], ARGV[21]}
local H = historyKeys(22, 25)
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
    if ARGV[10] == "1" then
      rcall("HDEL", KEYS[2], psid)
      return {0, 0, missing, 1}
    end
    rcall("HSET", KEYS[2], psid, tag)
    rcall("PUBLISH", ARGV[12], cjson.encode({site = ARGV[13], psid = psid, from = from, claim = tonumber(claim)}))
  end
  -- Held here now: a repeated join, a reconnect, or ioredis re-sending after a lost reply counts
  -- nothing; the newest claim is kept. Only a changed identity moves the online counts, and only a
  -- changed identity or page moves the page's reader (who keeps the source the session started with).
  if oldTag ~= tag or oldVisitor ~= visitor then
    local before = H and onlineFigures(KEYS[5])
    removeSession(KEYS[4], KEYS[5], KEYS[6], KEYS[8], oldTag, oldVisitor, now)
    addSession(KEYS[4], KEYS[5], KEYS[6], tag, visitor)
    local after = onlineFigures(KEYS[5])
    updatePeak(after, KEYS[12], now)
    if H then
      recordHistory(H, 0, 0, largerFigures(before, after), now)
    end
  end
  local oldPage = parsePage(oldPart)
  local counted = nil
  if oldPage and page and oldTag == tag and (oldPage.url == page.url or oldPage.url == ARGV[20]) then
    counted = engagePage(P, tag, oldPage, page.engaged)
    if counted.url ~= ARGV[20] then
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
-- Only a member's join can lower a figure: its visitor's guest stops counting.
local before = H and kind == "m" and onlineFigures(KEYS[5])
local first = addSession(KEYS[4], KEYS[5], KEYS[6], tag, visitor)
local counted = page and startPage(P, tag, page, meta, limits, first)
rcall("HSET", KEYS[3], psid, withPage(counted))

-- seen (leave times of page sessions; an open one is in holder) and last are pruned by the
-- heartbeats: an entry counts only within the visit window.
local function withinWindow(score)
  return score ~= false and tonumber(score) >= tonumber(cutoff)
end

local pageview = ARGV[10] ~= "1" and not withinWindow(rcall("ZSCORE", KEYS[7], psid))

if kind == "b" then
  if H and first then
    recordHistory(H, 0, 0, onlineFigures(KEYS[5]), now)
  end
  return {0, 0, missing, 0}
end

local visit = false
if pageview then
  visit = first and not withinWindow(rcall("ZSCORE", KEYS[8], tag))
  -- HINCRBY keeps totals as 64-bit integers in Redis; Lua never does arithmetic on them.
  -- A period's key gets its TTL with its first pageview.
  for i = 9, 11 do
    if rcall("HINCRBY", KEYS[i], "pageviews", 1) == 1 and i > 9 then
      rcall("EXPIRE", KEYS[i], ARGV[i - 2])
    end
    if visit then
      rcall("HINCRBY", KEYS[i], "visits", 1)
    end
  end
  if counted then
    countDayPageview(dayKeys(KEYS[20], KEYS[21], 22), counted.url, counted.url ~= ARGV[20] and meta or nil)
  end
end
-- last is read only while an identity is offline, and removeSession writes it when it goes offline.

local after = (first or (H and (pageview or before))) and onlineFigures(KEYS[5])
if first then
  updatePeak(after, KEYS[12], now)
end
-- The buckets count pageviews and visits exactly as the totals above.
if H and after then
  recordHistory(H, pageview and 1 or 0, visit and 1 or 0, largerFigures(before, after), now)
end

return {pageview and 1 or 0, visit and 1 or 0, missing, 0}

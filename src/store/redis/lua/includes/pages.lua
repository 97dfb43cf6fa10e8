--[[
  Live-page bookkeeping shared by join, engage, leave and reap: what is read now, by whom, from
  where. Every figure moves only when an open page session starts, changes or ends, so a reaped
  instance's readers leave the pages exactly as its online counts do.

  A page session's page part, at the end of its holder record: "<engaged 0|1> <source> <host> <url>",
  host "-" when it had no referring host. Bots have none.

  The six site keys, with who (P):
    pages     ZSET url -> -(readers * READER_SCORE + engaged readers): ZRANGE from 0 gives readers,
              then engaged, then url; a page is a member exactly while someone reads it
    meta      HASH "t <url>", "s <url>", "a <url>" -> the page's title, section, author, each as its
              latest join that had one said
    sources   HASH "<source> <url>" -> readers of the page by source
    readers   HASH "<tag> <url>" -> "<open sessions> <engaged sessions> <source> <host>": one reader of
              a page, counted under the source and host of the session that made them a reader
    live      HASH engaged -> identities engaged on any page; <source> -> page readers by source
    referrers ZSET host -> -(page readers it referred)
  who (includes/sessions.lua) counts each identity's engaged open page sessions on any page too:
  HASH tag -> open sessions + engaged sessions * ENGAGED, so one HINCRBY moves both when a session
  starts or ends (Lua numbers are exact to 2^53).
]]
-- 2^26: a page may have 2^27 readers before the score loses integer precision (2^53).
local READER_SCORE = 67108864
-- 2^24: an identity may have 2^24 - 1 open sessions, and 2^29 engaged ones, within 2^53.
local ENGAGED = 16777216

local function pageKeys(first, who)
  return {pages = KEYS[first], meta = KEYS[first + 1], sources = KEYS[first + 2], readers = KEYS[first + 3],
          live = KEYS[first + 4], referrers = KEYS[first + 5], who = who}
end

local function parsePage(part)
  local engaged, source, host, url = string.match(part or "", "^([01]) (%S+) (%S+) (.+)$")
  if not url then
    return nil
  end
  return {engaged = engaged == "1", source = source, host = host, url = url}
end

local function pagePart(page)
  return (page.engaged and "1" or "0") .. " " .. page.source .. " " .. page.host .. " " .. page.url
end

local function readerState(P, field)
  local state = redis.call("HGET", P.readers, field)
  if not state then
    return nil
  end
  local sessions, engaged, source, host = string.match(state, "^(%S+) (%S+) (%S+) (%S+)$")
  return {sessions = tonumber(sessions), engaged = tonumber(engaged), source = source, host = host}
end

local function saveReader(P, field, r)
  if r.sessions <= 0 then
    redis.call("HDEL", P.readers, field)
  else
    redis.call("HSET", P.readers, field, r.sessions .. " " .. r.engaged .. " " .. r.source .. " " .. r.host)
  end
end

-- Moves a page's score; the page's entry goes once its last reader left.
local function movePage(P, url, delta)
  if delta ~= 0 and tonumber(redis.call("ZINCRBY", P.pages, delta, url)) >= 0 then
    redis.call("ZREM", P.pages, url)
    redis.call("HDEL", P.meta, "t " .. url, "s " .. url, "a " .. url)
  end
end

-- meta = {title, section, author}, "" for one not given: what is given replaces what was kept.
local function keepMeta(key, url, meta, names)
  local fields = {}
  for i, name in ipairs(names) do
    if meta[i] ~= "" then
      fields[#fields + 1] = name .. " " .. url
      fields[#fields + 1] = meta[i]
    end
  end
  if #fields > 0 then
    redis.call("HSET", key, unpack(fields))
  end
end

local PAGE_META = {"t", "s", "a"}
-- A day keeps titles and sections, not authors.
local DAY_META = {"t", "s"}

-- An identity's engaged sessions moved by step to `engaged`: it is engaged from 1 and not at 0.
local function engagedMoved(P, step, engaged)
  if (step > 0 and engaged == 1) or (step < 0 and engaged == 0) then
    redis.call("HINCRBY", P.live, "engaged", step)
  end
end

-- Moves tag's engaged sessions in who (an entry without open sessions goes).
local function siteEngaged(P, tag, step)
  local v = redis.call("HINCRBY", P.who, tag, step * ENGAGED)
  if v <= 0 then
    redis.call("HDEL", P.who, tag)
  end
  engagedMoved(P, step, v > 0 and math.floor(v / ENGAGED) or 0)
end

-- Members of a bounded set other than the entry that counts what is past the bound.
local function realMembers(key, other)
  return redis.call("ZCARD", key) - (redis.call("ZSCORE", key, other) and 1 or 0)
end

-- Counts one more open session of tag on page (url, source, host, engaged); returns the page as
-- counted: url OTHER_PAGE past maxPages live pages, host OTHER_REFERRER past maxReferrers hosts.
-- A new reader's score goes first: only a page or host that is new then costs the bound's check.
-- limits = {maxPages, maxReferrers, otherPage, otherReferrer}; `alone`: tag had no other open session,
-- so it reads no page yet; `engaged`: tag's engaged sessions once addSession counted this one, nil
-- when it did not.
local function startPage(P, tag, page, meta, limits, alone, engaged)
  local url, other = page.url, limits[3]
  local r = nil
  if not alone then
    r = readerState(P, tag .. " " .. url)
  end
  local scored = false
  if not r and url ~= other then
    local added = -READER_SCORE - (page.engaged and 1 or 0)
    if tonumber(redis.call("ZINCRBY", P.pages, added, url)) == added and realMembers(P.pages, other) > tonumber(limits[1]) then
      redis.call("ZREM", P.pages, url)
      url = other
      if not alone then
        r = readerState(P, tag .. " " .. url)
      end
    else
      scored = true
    end
  end
  local delta = 0
  if not r then
    local host = page.host
    if host == limits[4] then
      redis.call("ZINCRBY", P.referrers, -1, host)
    elseif host ~= "-" and tonumber(redis.call("ZINCRBY", P.referrers, -1, host)) == -1
        and realMembers(P.referrers, limits[4]) > tonumber(limits[2]) then
      redis.call("ZREM", P.referrers, host)
      host = limits[4]
      redis.call("ZINCRBY", P.referrers, -1, host)
    end
    r = {sessions = 0, engaged = 0, source = page.source, host = host}
    redis.call("HINCRBY", P.sources, r.source .. " " .. url, 1)
    redis.call("HINCRBY", P.live, r.source, 1)
    delta = -READER_SCORE
  end
  r.sessions = r.sessions + 1
  if page.engaged then
    r.engaged = r.engaged + 1
    if r.engaged == 1 then
      delta = delta - 1
    end
    if engaged then
      engagedMoved(P, 1, engaged)
    else
      siteEngaged(P, tag, 1)
    end
  end
  saveReader(P, tag .. " " .. url, r)
  if not scored then
    movePage(P, url, delta)
  end
  if url ~= other then
    keepMeta(P.meta, url, meta, PAGE_META)
  end
  return {engaged = page.engaged, source = r.source, host = r.host, url = url}
end

-- Counts one open session of tag on its page less. `last`: it was tag's last open session, so the
-- reader it makes is this session alone (its page part carries the reader's source and host);
-- `engaged`: tag's engaged sessions once removeSession took this one away, nil when it did not.
local function endPage(P, tag, page, last, engaged)
  local field = tag .. " " .. page.url
  local r
  if last then
    r = {sessions = 1, engaged = page.engaged and 1 or 0, source = page.source, host = page.host}
  else
    r = readerState(P, field)
    if not r then
      return
    end
  end
  local delta = 0
  r.sessions = r.sessions - 1
  if page.engaged then
    r.engaged = r.engaged - 1
    if r.engaged == 0 then
      delta = 1
    end
    if engaged then
      engagedMoved(P, -1, engaged)
    else
      siteEngaged(P, tag, -1)
    end
  end
  if r.sessions <= 0 then
    delta = delta + READER_SCORE
    local key = r.source .. " " .. page.url
    if redis.call("HINCRBY", P.sources, key, -1) <= 0 then
      redis.call("HDEL", P.sources, key)
    end
    redis.call("HINCRBY", P.live, r.source, -1)
    if r.host ~= "-" and tonumber(redis.call("ZINCRBY", P.referrers, 1, r.host)) >= 0 then
      redis.call("ZREM", P.referrers, r.host)
    end
  end
  saveReader(P, field, r)
  movePage(P, page.url, delta)
end

-- An open session of tag turned engaged or idle on its page; returns the page as it is now.
local function engagePage(P, tag, page, engaged)
  if page.engaged == engaged then
    return page
  end
  local field = tag .. " " .. page.url
  local r = readerState(P, field)
  if r then
    local step = engaged and 1 or -1
    r.engaged = r.engaged + step
    saveReader(P, field, r)
    if (engaged and r.engaged == 1) or (not engaged and r.engaged == 0) then
      movePage(P, page.url, -step)
    end
    siteEngaged(P, tag, step)
  end
  return {engaged = engaged, source = page.source, host = page.host, url = page.url}
end

-- After a day's entry for url was made or changed (isNew: the day did not list url). The day's first
-- entry gives both keys their TTL, once, and the info hash a field of its own ("-") so that trims
-- never empty it and a later field never recreates it without a TTL; once the day holds trimAt
-- pages, it is trimmed back to the top `keep` by pageviews.
-- day = {pages, info, ttl, keep, trimAt}
local function dayEntry(day, url, isNew)
  if not isNew then
    return
  end
  local listed = redis.call("ZCARD", day.pages)
  if listed == 1 then
    redis.call("HSET", day.info, "-", "")
    redis.call("EXPIRE", day.pages, day.ttl)
    redis.call("EXPIRE", day.info, day.ttl)
    return
  end
  if listed < tonumber(day.trimAt) then
    return
  end
  local extra = listed - tonumber(day.keep)
  local dropped = redis.call("ZRANGE", day.pages, 0, extra - 1)
  redis.call("ZREMRANGEBYRANK", day.pages, 0, extra - 1)
  -- One HDEL per chunk, not per page: unpack stays well within Lua's stack.
  local fields = {}
  for i, gone in ipairs(dropped) do
    fields[#fields + 1], fields[#fields + 2], fields[#fields + 3] = "t " .. gone, "s " .. gone, "e " .. gone
    if #fields >= 3000 or i == #dropped then
      redis.call("HDEL", day.info, unpack(fields))
      fields = {}
    end
  end
end

local function dayKeys(pagesKey, infoKey, first)
  return {pages = pagesKey, info = infoKey, ttl = ARGV[first], keep = ARGV[first + 1], trimAt = ARGV[first + 2]}
end

-- Counts a pageview in its page's day (meta nil: none to keep).
local function countDayPageview(day, url, meta)
  if meta then
    keepMeta(day.info, url, meta, DAY_META)
  end
  dayEntry(day, url, tonumber(redis.call("ZINCRBY", day.pages, 1, url)) == 1)
end

-- Adds engaged time of a page session to its page's day; its first engaged time makes sure the day
-- lists the page (with no pageview when it had none that day).
local function addEngagedMs(day, url, ms)
  if tonumber(ms) > 0 and redis.call("HINCRBY", day.info, "e " .. url, ms) == tonumber(ms) then
    dayEntry(day, url, redis.call("ZADD", day.pages, "NX", 0, url) == 1)
  end
end

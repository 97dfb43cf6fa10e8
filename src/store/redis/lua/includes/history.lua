--[[
  History, shared by join, leave, reap, heartbeat and rollup. A bucket is one field of one of four
  hashes (keys.ts historyOf: the minutes of a local hour, the hours of a local day, the days of a
  local year, all months), its value "<pageviews> <visits> <online> <guests> <members> <bots>" and,
  for days and months, " <when online peaked (ms) or -> <imported 0|1>" (import-history-n.lua).

  The scripts of pageviews and presence record into one place only: the site's online hash (keys.ts
  online, includes/sessions.lua), field the minute's bucket key, value "<pageviews> <visits> <online>
  <guests> <members> <bots> <when online peaked (ms) or -> <first record (ms)>", read and written
  with the figures it follows: no command of its own. The heartbeat lists the minutes pending for a
  while, and rollup-n.lua adds each into its minute, hour, day and month buckets, and its pageviews
  and visits into the lifetime, day and month totals, and deletes it, in one script: a re-run, or a
  second instance rolling the same minute, finds nothing left to add. A record for a minute already
  rolled up starts a new pending entry, added on top later. Reads add the pending entries to the
  buckets and totals they fall in (history.ts, read-6.lua), so a minute in progress counts at once.
  Version 5 kept its pending minutes in their own hash (keys.ts legacyHistoryPending), with the
  totals already counted: those are rolled into the buckets only.

  Online figures change only in join, leave and reap, so each records the larger of a figure's value
  before (it held until now) and after (it holds from now); the heartbeat records the figures that
  held through minutes without a change. A peak is the largest site-wide figure seen, so instances
  recording the same figure never add up, and recording twice is harmless.

  The one ARGV at `first` (scripts.ts historyTarget): the minute's bucket key ("" when the caller
  knows no buckets: nothing is recorded).
]]
-- Only minute bucket keys hold a "T": the online hash also holds the figures and the peak.
local function isMinuteField(field)
  return string.find(field, "T", 1, true) ~= nil
end

-- The pending minutes of a hash (online, or version 5's own), flat: minute bucket key, value, ...
local function pendingEntries(key)
  local entries = {}
  local flat = redis.call("HGETALL", key)
  for i = 1, #flat, 2 do
    if isMinuteField(flat[i]) then
      entries[#entries + 1], entries[#entries + 2] = flat[i], flat[i + 1]
    end
  end
  return entries
end

local function historyMinute(first)
  if ARGV[first] == "" then
    return nil
  end
  return ARGV[first]
end

local function largerFigures(a, b)
  if not a then
    return b
  end
  return {math.max(a[1], b[1]), math.max(a[2], b[2]), math.max(a[3], b[3]), math.max(a[4], b[4])}
end

-- Parses a bucket or pending value; missing parts get `defaults`, counts and figures are numbers.
local function historyParts(value, defaults)
  local b = {}
  for i, default in ipairs(defaults) do
    b[i] = default
  end
  local n = 0
  for part in string.gmatch(value or "", "%S+") do
    n = n + 1
    b[n] = n <= 6 and tonumber(part) or part
  end
  return b
end

local function historyValue(b, parts)
  local out = {}
  for f = 1, parts do
    out[f] = f <= 6 and string.format("%d", b[f]) or b[f]
  end
  return table.concat(out, " ")
end

-- Adds pageviews and visits begun now to the pending entry of O's minute (onlineState read with one)
-- and raises its peaks to `figures`; saveOnline writes it.
local function recordHistory(O, pageviews, visits, figures, now)
  local b = historyParts(O.pending, {0, 0, 0, 0, 0, 0, "-", now})
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
  if changed then
    O.pending = historyValue(b, 8)
    O.dirty.pending = true
  end
end

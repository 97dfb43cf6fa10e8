--[[
  Reads a site's counts in one round trip. Read-only: creates no key.

  Input:
    KEYS[1]  online  HASH g/m/b
    KEYS[2]  tot     HASH {visits, pageviews}
    KEYS[3]  day     HASH {visits, pageviews}
    KEYS[4]  month   HASH {visits, pageviews}
    KEYS[5]  peak    HASH {online, at}
    KEYS[6]  yesterday HASH {visits, pageviews}, the day before KEYS[3]

  Output:
    flat array of strings or nil: online g, m, b; tot visits, pageviews; day visits, pageviews;
    month visits, pageviews; peak online, at; yesterday visits, pageviews
]]
local out = {}
local function add(key, ...)
  -- HMGET gives false for a missing field; false (unlike nil) keeps its place in the array.
  for _, value in ipairs(redis.call("HMGET", key, ...)) do
    out[#out + 1] = value
  end
end
add(KEYS[1], "g", "m", "b")
for i = 2, 4 do
  add(KEYS[i], "visits", "pageviews")
end
add(KEYS[5], "online", "at")
add(KEYS[6], "visits", "pageviews")
return out

--[[
  Reads a day's most-viewed pages in one round trip: the top `limit` by pageviews and every page
  tied with the last of them, so the caller can order ties by engaged time. Read-only: creates no key.

  Input:
    KEYS[1]  dayPages     ZSET url -> pageviews
    KEYS[2]  dayPageInfo  HASH "t <url>", "s <url>" -> title, section; "e <url>" -> engaged ms

    ARGV[1]  most pages

  Output:
    {url, pageviews, title, section, engaged ms, ...}, nil for what is unknown
]]
local top = redis.call("ZREVRANGEBYSCORE", KEYS[1], "+inf", "-inf", "WITHSCORES", "LIMIT", 0, tonumber(ARGV[1]))
local urls, views = {}, {}
for i = 1, #top, 2 do
  urls[#urls + 1] = top[i]
  views[top[i]] = top[i + 1]
end
if #urls == tonumber(ARGV[1]) then
  local last = views[urls[#urls]]
  for _, url in ipairs(redis.call("ZRANGEBYSCORE", KEYS[1], last, last)) do
    if not views[url] then
      urls[#urls + 1] = url
      views[url] = last
    end
  end
end
local out = {}
for _, url in ipairs(urls) do
  out[#out + 1] = url
  out[#out + 1] = views[url]
  for _, value in ipairs(redis.call("HMGET", KEYS[2], "t " .. url, "s " .. url, "e " .. url)) do
    out[#out + 1] = value
  end
end
return out

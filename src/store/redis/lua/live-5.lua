--[[
  Reads what a site's readers read now in one round trip. Read-only: creates no key.

  Input:
    KEYS[1]  pages      ZSET url -> -(readers * READER_SCORE + engaged readers)
    KEYS[2]  meta       HASH "t <url>", "s <url>", "a <url>" -> title, section, author
    KEYS[3]  sources    HASH "<source> <url>" -> readers
    KEYS[4]  live       HASH engaged, <source> -> page readers
    KEYS[5]  referrers  ZSET host -> -(page readers)

    ARGV[1]  most pages, ARGV[2] most referring hosts
    ARGV[3..] the source names

  Output:
    {{engaged, readers of each source...}, {host, score, ...},
     {url, score, title, section, author, readers of each source...}...}, nil for what is unknown
]]
local sources = {}
for i = 3, #ARGV do
  sources[#sources + 1] = ARGV[i]
end
local out = {redis.call("HMGET", KEYS[4], "engaged", unpack(sources)),
             redis.call("ZRANGE", KEYS[5], 0, tonumber(ARGV[2]) - 1, "WITHSCORES")}
local top = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[1]) - 1, "WITHSCORES")
for i = 1, #top, 2 do
  local url = top[i]
  local fields = {}
  for j, source in ipairs(sources) do
    fields[j] = source .. " " .. url
  end
  local page = {url, top[i + 1]}
  for _, value in ipairs(redis.call("HMGET", KEYS[2], "t " .. url, "s " .. url, "a " .. url)) do
    page[#page + 1] = value
  end
  for _, readers in ipairs(redis.call("HMGET", KEYS[3], unpack(fields))) do
    page[#page + 1] = readers
  end
  out[#out + 1] = page
end
return out

--[[
  Sets days' or months' visits and pageviews from an old counter and marks them imported; each
  bucket's peak stays as it was (includes/history.lua). It sets, never adds: the same import twice
  changes nothing. Lifetime totals are not touched.

  Input:
    KEYS[1..k]  history hashes: days of a year, or months
    ARGV        four a bucket: hash index (1..k), field, visits, pageviews (whole numbers)

  Output:
    number of buckets set
]]
for i = 1, #ARGV, 4 do
  local key, field = KEYS[tonumber(ARGV[i])], ARGV[i + 1]
  local b = {}
  for part in string.gmatch(redis.call("HGET", key, field) or "", "%S+") do
    b[#b + 1] = part
  end
  b[1], b[2] = ARGV[i + 3], ARGV[i + 2]
  for f = 3, 6 do
    b[f] = b[f] or "0"
  end
  b[7], b[8] = b[7] or "-", "1"
  redis.call("HSET", key, field, table.concat(b, " ", 1, 8))
end
return #ARGV / 4

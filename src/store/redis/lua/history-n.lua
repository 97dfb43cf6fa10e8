--[[
  Reads history buckets (includes/history.lua) in one round trip. Read-only: creates no key.

  Input:
    KEYS[1..k]  history hashes (keys.ts), each once
    ARGV[1..k]  how many buckets to read from each hash; then their fields, hash by hash

  Output:
    flat array: each bucket's value, or nil for a bucket never written, in the order of the fields
]]
local out = {}
local first = #KEYS + 1
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i])
  local values = redis.call("HMGET", key, unpack(ARGV, first, first + n - 1))
  for j = 1, n do
    -- HMGET gives false for a missing field; false (unlike nil) keeps its place in the array.
    out[#out + 1] = values[j]
  end
  first = first + n
end
return out

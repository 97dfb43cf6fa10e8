--[[
  Reads history buckets (includes/history.lua) and the minutes pending for them in one round trip.
  Read-only: creates no key.

  Input:
    KEYS[1]     historyPending  HASH minute bucket key -> figures not yet rolled up
    KEYS[2..k]  history hashes (keys.ts), each once
    ARGV[1..k-1]  how many buckets to read from each hash; then their fields, hash by hash

  Output:
    {each bucket's value, or nil for a bucket never written, in the order of the fields;
     the pending entries, flat: minute bucket key, figures, ...}
]]
local out = {}
local first = #KEYS
for i = 2, #KEYS do
  local n = tonumber(ARGV[i - 1])
  local values = redis.call("HMGET", KEYS[i], unpack(ARGV, first, first + n - 1))
  for j = 1, n do
    -- HMGET gives false for a missing field; false (unlike nil) keeps its place in the array.
    out[#out + 1] = values[j]
  end
  first = first + n
end
return {out, redis.call("HGETALL", KEYS[1])}

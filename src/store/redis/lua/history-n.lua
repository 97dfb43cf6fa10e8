--[[
  Reads history buckets (includes/history.lua) and the minutes pending for them in one round trip.
  Read-only: creates no key.

  Input:
    KEYS[1]     online          HASH minute bucket key -> figures not yet rolled up (and the online figures)
    KEYS[2]     legacyPending   HASH minute bucket key -> figures not yet rolled up, of version 5
    KEYS[3..k]  history hashes (keys.ts), each once
    ARGV[1..k-2]  how many buckets to read from each hash; then their fields, hash by hash

  Output:
    {each bucket's value, or nil for a bucket never written, in the order of the fields;
     the pending entries of both hashes, flat: minute bucket key, figures, ...}
]]
--- @include "history"

local out = {}
local first = #KEYS - 1
for i = 3, #KEYS do
  local n = tonumber(ARGV[i - 2])
  local values = redis.call("HMGET", KEYS[i], unpack(ARGV, first, first + n - 1))
  for j = 1, n do
    -- HMGET gives false for a missing field; false (unlike nil) keeps its place in the array.
    out[#out + 1] = values[j]
  end
  first = first + n
end
local pending = pendingEntries(KEYS[1])
for _, part in ipairs(pendingEntries(KEYS[2])) do
  pending[#pending + 1] = part
end
return {out, pending}

-- numeric — a fixed arithmetic loop: 10,000 steps of a 31-bit LCG folded into a 31-bit checksum.
-- Same logic as numeric.ts, line for line. Lua 5.1 numbers are doubles: the constants keep every
-- intermediate below 2^53 (x * 1664525 + 1013904223 < 2^53), so all of it is exact integer math.
--
--   EVALSHA <sha> 0 <seed>   → (integer) checksum

local floor = math.floor
local x = tonumber(ARGV[1]) % 2147483648
local acc = 0
for i = 1, 10000 do
  x = (x * 1664525 + 1013904223) % 2147483648
  acc = (acc * 31 + floor(x / 65536)) % 2147483648
end
return acc

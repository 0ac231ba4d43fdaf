-- string — split a ~1 KB comma-separated string, upper-case and reverse each token, join them
-- back with commas, and return a 31-bit polynomial hash of the result. Same logic as string.ts.
-- (h * 31 + byte < 2^37: exact in Lua 5.1's doubles.)
--
--   EVALSHA <sha> 0 'alpha7,bravo12,…'   → (integer) hash

local parts = {}
for token in string.gmatch(ARGV[1], '[^,]+') do
  parts[#parts + 1] = string.reverse(string.upper(token))
end
local out = table.concat(parts, ',')
local h = 0
for i = 1, #out do
  h = (h * 31 + string.byte(out, i)) % 2147483648
end
return h

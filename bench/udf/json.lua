-- json — decode an order (~1 KB of JSON in ARGV[1]) and return its total in cents:
-- the sum over items of price * qty (qty defaults to 1). Same logic as json.ts.
--
--   EVALSHA <sha> 0 '{"id":"…","customer":{…},"items":[{"sku":"…","price":12.5,"qty":3,…},…]}'
--   → (integer) total in cents

local order = cjson.decode(ARGV[1])
local total = 0
for _, item in ipairs(order.items) do
  local cents = math.floor(item.price * 100 + 0.5)    -- 12.99 → 1299 (prices have 2 decimals)
  total = total + cents * (item.qty or 1)
end
return total

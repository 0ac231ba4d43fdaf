// LuaBitOp (`bit`) for Lua 5.4: Redis ships LuaBitOp 1.0.2, whose results are 32-bit signed
// integers. Lua 5.4 has native 64-bit integer bitwise operators, so the library is written in Lua on
// top of them and every result is folded back to int32 (tobit). Non-integral arguments are rounded to
// the nearest integer (LuaBitOp uses the 2^52+2^51 addition trick; halves may round differently).

export const BIT_LUA = String.raw`
local M = {}
local mtype, floor = math.type, math.floor
local function tobit(x)
  if mtype(x) ~= 'integer' then
    x = tonumber(x)
    if x == nil then error("bad argument #1 to 'tobit' (number expected)", 3) end
    if mtype(x) == 'float' then
      if x ~= x or x == math.huge or x == -math.huge then return 0 end
      x = floor(x + 0.5)
      x = math.tointeger(x) or floor(math.fmod(x, 4294967296))
      x = math.tointeger(x) or 0
    end
  end
  x = x & 0xffffffff
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end
M.tobit = function(x) return tobit(x) end
M.bnot = function(x) return tobit(~tobit(x)) end
M.band = function(x, ...) local r = tobit(x) for i = 1, select('#', ...) do r = r & tobit((select(i, ...))) end return tobit(r) end
M.bor = function(x, ...) local r = tobit(x) for i = 1, select('#', ...) do r = r | tobit((select(i, ...))) end return tobit(r) end
M.bxor = function(x, ...) local r = tobit(x) for i = 1, select('#', ...) do r = r ~ tobit((select(i, ...))) end return tobit(r) end
M.lshift = function(x, n) return tobit((tobit(x) & 0xffffffff) << (tobit(n) & 31)) end
M.rshift = function(x, n) return tobit((tobit(x) & 0xffffffff) >> (tobit(n) & 31)) end
M.arshift = function(x, n) return tobit(tobit(x) // (1 << (tobit(n) & 31))) end
M.rol = function(x, n)
  local v, s = tobit(x) & 0xffffffff, tobit(n) & 31
  return tobit((v << s) | (v >> (32 - s)))
end
M.ror = function(x, n)
  local v, s = tobit(x) & 0xffffffff, tobit(n) & 31
  return tobit((v >> s) | (v << (32 - s)))
end
M.bswap = function(x)
  local v = tobit(x) & 0xffffffff
  return tobit(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24))
end
M.tohex = function(x, n)
  n = n == nil and 8 or tobit(n)
  local up = false
  if n < 0 then n = -n; up = true end
  if n > 8 then n = 8 end
  local v = tobit(x) & 0xffffffff
  if n < 8 then v = v & ((1 << (4 * n)) - 1) end
  local s = string.format(up and '%0' .. n .. 'X' or '%0' .. n .. 'x', v)
  return s:sub(-n)
end
return M
`;

// `cmsgpack` (lua-cmsgpack, as Redis ships it) for Lua 5.4, written in Lua on string.pack /
// string.unpack. Encoding follows lua-cmsgpack: integral numbers take the smallest int/uint form,
// other numbers float32 when exact else float64, strings are raw/str (fixstr, str8, str16, str32),
// tables whose keys are exactly 1..n are arrays (so the empty table is an empty array), others maps;
// nesting deeper than 16 encodes nil. Decoding returns every value in the buffer; bin types decode
// as strings, ext types are refused. Kept in Lua (not @msgpack/msgpack in JS) so strings never leave
// the VM as JS UTF-16 text: every byte round-trips.

export const CMSGPACK_LUA = String.raw`
local M = {}
local spack, sunpack, char, byte, concat, mtype = string.pack, string.unpack, string.char, string.byte, table.concat, math.type
local enc
local function isarray(t)
  local max, count = 0, 0
  for k in next, t do
    if mtype(k) == 'integer' and k > 0 then
      if k > max then max = k end
      count = count + 1
    elseif type(k) == 'number' and k > 0 and k == math.floor(k) then
      local ik = math.tointeger(k)
      if ik > max then max = ik end
      count = count + 1
    else
      return false
    end
  end
  return max == count, max
end
local function encint(n, out)
  if n >= 0 then
    if n < 128 then out[#out + 1] = char(n)
    elseif n < 256 then out[#out + 1] = spack('>BB', 0xcc, n)
    elseif n < 65536 then out[#out + 1] = spack('>BI2', 0xcd, n)
    elseif n < 4294967296 then out[#out + 1] = spack('>BI4', 0xce, n)
    else out[#out + 1] = spack('>Bi8', 0xcf, n) end
  else
    if n >= -32 then out[#out + 1] = char(n & 0xff)
    elseif n >= -128 then out[#out + 1] = spack('>Bi1', 0xd0, n)
    elseif n >= -32768 then out[#out + 1] = spack('>Bi2', 0xd1, n)
    elseif n >= -2147483648 then out[#out + 1] = spack('>Bi4', 0xd2, n)
    else out[#out + 1] = spack('>Bi8', 0xd3, n) end
  end
end
enc = function(v, depth, out)
  local t = type(v)
  if t == 'string' then
    local n = #v
    if n < 32 then out[#out + 1] = char(0xa0 | n)
    elseif n < 256 then out[#out + 1] = spack('>BB', 0xd9, n)
    elseif n < 65536 then out[#out + 1] = spack('>BI2', 0xda, n)
    else out[#out + 1] = spack('>BI4', 0xdb, n) end
    out[#out + 1] = v
  elseif t == 'boolean' then
    out[#out + 1] = v and '\xc3' or '\xc2'
  elseif t == 'number' then
    local i = math.tointeger(v)
    if i then encint(i, out)
    elseif v ~= v or v == math.huge or v == -math.huge or sunpack('<f', spack('<f', v)) ~= v then out[#out + 1] = spack('>Bd', 0xcb, v)
    else out[#out + 1] = spack('>Bf', 0xca, v) end
  elseif t == 'table' and depth < 16 then
    local arr, n = isarray(v)
    if arr then
      if n < 16 then out[#out + 1] = char(0x90 | n)
      elseif n < 65536 then out[#out + 1] = spack('>BI2', 0xdc, n)
      else out[#out + 1] = spack('>BI4', 0xdd, n) end
      for i = 1, n do enc(v[i], depth + 1, out) end
    else
      local cnt = 0
      for _ in next, v do cnt = cnt + 1 end
      if cnt < 16 then out[#out + 1] = char(0x80 | cnt)
      elseif cnt < 65536 then out[#out + 1] = spack('>BI2', 0xde, cnt)
      else out[#out + 1] = spack('>BI4', 0xdf, cnt) end
      for k, x in next, v do
        enc(k, depth + 1, out)
        enc(x, depth + 1, out)
      end
    end
  else
    out[#out + 1] = '\xc0'
  end
end
M.pack = function(...)
  local n = select('#', ...)
  if n == 0 then error('MessagePack pack needs input.', 2) end
  local out = {}
  for i = 1, n do enc((select(i, ...)), 0, out) end
  return concat(out)
end

local dec
local function bad() error('Missing bytes in input.', 0) end
local function arr(s, i, n)
  local t = {}
  for k = 1, n do t[k], i = dec(s, i) end
  return t, i
end
local function map(s, i, n)
  local t = {}
  for _ = 1, n do
    local k, v
    k, i = dec(s, i)
    v, i = dec(s, i)
    if k ~= nil then t[k] = v end
  end
  return t, i
end
local function raw(s, i, n)
  if i + n - 1 > #s then bad() end
  return s:sub(i, i + n - 1), i + n
end
dec = function(s, i)
  local c = byte(s, i)
  if not c then bad() end
  i = i + 1
  if c < 0x80 then return c, i end
  if c >= 0xe0 then return c - 256, i end
  if c >= 0xa0 and c < 0xc0 then return raw(s, i, c & 0x1f) end
  if c >= 0x90 and c < 0xa0 then return arr(s, i, c & 0x0f) end
  if c >= 0x80 and c < 0x90 then return map(s, i, c & 0x0f) end
  if c == 0xc0 then return nil, i end
  if c == 0xc2 then return false, i end
  if c == 0xc3 then return true, i end
  local ok, a, b = pcall(function()
    if c == 0xcc then return sunpack('>B', s, i)
    elseif c == 0xcd then return sunpack('>I2', s, i)
    elseif c == 0xce then return sunpack('>I4', s, i)
    elseif c == 0xcf then return sunpack('>i8', s, i)
    elseif c == 0xd0 then return sunpack('>i1', s, i)
    elseif c == 0xd1 then return sunpack('>i2', s, i)
    elseif c == 0xd2 then return sunpack('>i4', s, i)
    elseif c == 0xd3 then return sunpack('>i8', s, i)
    elseif c == 0xca then return sunpack('>f', s, i)
    elseif c == 0xcb then return sunpack('>d', s, i)
    elseif c == 0xd9 or c == 0xc4 then local n, j = sunpack('>B', s, i) return raw(s, j, n)
    elseif c == 0xda or c == 0xc5 then local n, j = sunpack('>I2', s, i) return raw(s, j, n)
    elseif c == 0xdb or c == 0xc6 then local n, j = sunpack('>I4', s, i) return raw(s, j, n)
    elseif c == 0xdc then local n, j = sunpack('>I2', s, i) return arr(s, j, n)
    elseif c == 0xdd then local n, j = sunpack('>I4', s, i) return arr(s, j, n)
    elseif c == 0xde then local n, j = sunpack('>I2', s, i) return map(s, j, n)
    elseif c == 0xdf then local n, j = sunpack('>I4', s, i) return map(s, j, n)
    end
    error('Bad data format in input.', 0)
  end)
  if not ok then error(a, 0) end
  return a, b
end
M.unpack = function(s)
  if type(s) ~= 'string' then error('MessagePack unpack needs input.', 2) end
  local out, n, i = {}, 0, 1
  while i <= #s do
    n = n + 1
    out[n], i = dec(s, i)
  end
  return table.unpack(out, 1, n)
end
M.unpack_one = function(s, offset)
  local i = (offset or 0) + 1
  local v, j = dec(s, i)
  return (j > #s) and -1 or (j - 1), v
end
M.unpack_limit = function(s, limit, offset)
  local out, n, i = {}, 0, (offset or 0) + 1
  while i <= #s and (limit == nil or limit <= 0 or n < limit) do
    n = n + 1
    out[n], i = dec(s, i)
  end
  return (i > #s) and -1 or (i - 1), table.unpack(out, 1, n)
end
return M
`;

// `cjson` for Lua 5.4, written in Lua: Redis ships lua-cjson 2.1, and scripts depend on its exact
// output — numbers as %.14g, an empty table encodes as `{}`, `/` escaped as `\/`, bytes >= 0x80
// passed through unchanged (it does not validate UTF-8), tables with only positive integer keys are
// arrays (holes become null; "excessively sparse" arrays are refused as cjson does by default), and
// JSON null decodes to cjson.null, a light userdata. Written in Lua rather than JS because the value
// walk stays inside the VM and every string stays a byte string.

export const CJSON_LUA = String.raw`
local NULL = ...
local M = { null = NULL }
local sfmt, byte, char, concat, mtype = string.format, string.byte, string.char, table.concat, math.type
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function esc(c)
  local e = escapes[c]
  if e then return e end
  return sfmt('\\u%04x', byte(c))
end
local function num(n)
  if n ~= n or n == math.huge or n == -math.huge then error('Cannot serialise number: must not be NaN or Inf', 0) end
  if mtype(n) == 'integer' then
    if n > -100000000000000 and n < 100000000000000 then return sfmt('%d', n) end
    n = n + 0.0
  end
  return sfmt('%.14g', n)
end
local encode
local function arraylen(t)
  local max, items = 0, 0
  for k in next, t do
    if mtype(k) == 'integer' and k > 0 then
      if k > max then max = k end
      items = items + 1
    elseif type(k) == 'number' and k > 0 and k == math.floor(k) then
      if k > max then max = math.tointeger(k) end
      items = items + 1
    else
      return -1
    end
  end
  if max > 10 and max > items * 2 then error('Cannot serialise table: excessively sparse array', 0) end
  return max
end
encode = function(v, depth, out)
  local t = type(v)
  if t == 'string' then
    out[#out + 1] = '"' .. v:gsub('[%c"\\/\127]', esc) .. '"'
  elseif t == 'number' then
    out[#out + 1] = num(v)
  elseif t == 'boolean' then
    out[#out + 1] = v and 'true' or 'false'
  elseif v == nil or v == NULL then
    out[#out + 1] = 'null'
  elseif t == 'table' then
    depth = depth + 1
    if depth > 1000 then error('Cannot serialise, excessive nesting (' .. depth .. ')', 0) end
    local n = arraylen(v)
    if n > 0 then
      out[#out + 1] = '['
      for i = 1, n do
        if i > 1 then out[#out + 1] = ',' end
        encode(v[i], depth, out)
      end
      out[#out + 1] = ']'
    else
      out[#out + 1] = '{'
      local first = true
      for k, x in next, v do
        local kt = type(k)
        if kt == 'number' then k = num(k)
        elseif kt ~= 'string' then error('Cannot serialise ' .. kt .. ': table key must be a number or string', 0) end
        if not first then out[#out + 1] = ',' end
        first = false
        out[#out + 1] = '"' .. k:gsub('[%c"\\/\127]', esc) .. '":'
        encode(x, depth, out)
      end
      out[#out + 1] = '}'
    end
  else
    error('Cannot serialise ' .. t .. ': type not supported', 0)
  end
end
M.encode = function(v)
  local out = {}
  encode(v, 0, out)
  return concat(out)
end

-- Decoder: a byte-position scanner.
local find, sub = string.find, string.sub
local function derr(s, i, what)
  error('Expected ' .. what .. ' but found ' .. (i > #s and 'T_END' or 'invalid token') .. ' at character ' .. i, 0)
end
local function ws(s, i)
  return (find(s, '[^ \t\r\n]', i)) or (#s + 1)
end
local decode
local function utf8char(c)
  if c < 0x80 then return char(c) end
  if c < 0x800 then return char(0xc0 | (c >> 6), 0x80 | (c & 0x3f)) end
  if c < 0x10000 then return char(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)) end
  return char(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
end
local unesc = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }
local function str(s, i)
  local parts, j = {}, i + 1
  while true do
    local k = find(s, '["\\]', j)
    if not k then error('Expected object key string but found unterminated string at character ' .. i, 0) end
    parts[#parts + 1] = sub(s, j, k - 1)
    if byte(s, k) == 34 then return concat(parts), k + 1 end
    local e = sub(s, k + 1, k + 1)
    if e == 'u' then
      local h = tonumber(sub(s, k + 2, k + 5), 16)
      if not h then error('Expected value but found invalid unicode escape code at character ' .. k, 0) end
      local nextj = k + 6
      if h >= 0xd800 and h < 0xdc00 and sub(s, k + 6, k + 7) == '\\u' then
        local lo = tonumber(sub(s, k + 8, k + 11), 16)
        if lo and lo >= 0xdc00 and lo < 0xe000 then h = 0x10000 + ((h - 0xd800) << 10) + (lo - 0xdc00); nextj = k + 12 end
      end
      parts[#parts + 1] = utf8char(h)
      j = nextj
    else
      local u = unesc[e]
      if not u then error('Expected value but found invalid escape code at character ' .. k, 0) end
      parts[#parts + 1] = u
      j = k + 2
    end
  end
end
decode = function(s, i, depth)
  i = ws(s, i)
  local c = byte(s, i)
  if c == 123 then -- {
    depth = depth + 1
    if depth > 1000 then error('Found too many nested data structures (' .. depth .. ') at character ' .. i, 0) end
    local t = {}
    i = ws(s, i + 1)
    if byte(s, i) == 125 then return t, i + 1 end
    while true do
      if byte(s, i) ~= 34 then derr(s, i, 'object key string') end
      local k
      k, i = str(s, i)
      i = ws(s, i)
      if byte(s, i) ~= 58 then derr(s, i, 'colon') end
      local v
      v, i = decode(s, i + 1, depth)
      t[k] = v
      i = ws(s, i)
      local d = byte(s, i)
      if d == 125 then return t, i + 1 end
      if d ~= 44 then derr(s, i, 'comma or object end') end
      i = ws(s, i + 1)
    end
  elseif c == 91 then -- [
    depth = depth + 1
    if depth > 1000 then error('Found too many nested data structures (' .. depth .. ') at character ' .. i, 0) end
    local t, n = {}, 0
    i = ws(s, i + 1)
    if byte(s, i) == 93 then return t, i + 1 end
    while true do
      local v
      v, i = decode(s, i, depth)
      n = n + 1
      t[n] = v
      i = ws(s, i)
      local d = byte(s, i)
      if d == 93 then return t, i + 1 end
      if d ~= 44 then derr(s, i, 'comma or array end') end
      i = i + 1
    end
  elseif c == 34 then
    return str(s, i)
  elseif find(s, '^true', i) then return true, i + 4
  elseif find(s, '^false', i) then return false, i + 5
  elseif find(s, '^null', i) then return NULL, i + 4
  else
    local a, b = find(s, '^-?%d+%.?%d*[eE]?[-+]?%d*', i)
    if not a then derr(s, i, 'value') end
    local n = tonumber(sub(s, a, b))
    if not n then derr(s, i, 'value') end
    return n, b + 1
  end
end
M.decode = function(s)
  if type(s) ~= 'string' then error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2) end
  local v, i = decode(s, 1, 0)
  i = ws(s, i)
  if i <= #s then derr(s, i, 'the end') end
  return v
end
M.encode_keep_buffer = function() end
M.encode_max_depth = function() end
M.decode_max_depth = function() end
M.encode_number_precision = function() end
M.encode_invalid_numbers = function() end
M.decode_invalid_numbers = function() end
return M
`;

// Roberto Ierusalimschy's `struct` library (pack/unpack/size), as Redis ships it, mapped onto Lua
// 5.4's string.pack family, whose format language grew out of it. Translations: struct's `s`
// (zero-terminated string) is 5.4's `z`; everything else used in practice (< > ! = x b B h H i I l L
// T f d c<n>, spaces) means the same. Not supported (documented in docs/LUA.md): `c0` (length taken
// from the previous value), and non-integral numbers for integer formats (struct truncates them;
// here they are truncated too, toward zero).

export const STRUCT_LUA = String.raw`
local M = {}
local spack, sunpack, ssize = string.pack, string.unpack, string.packsize
local function tr(fmt)
  if type(fmt) ~= 'string' then error("bad argument #1 to 'struct' (string expected)", 3) end
  if fmt:find('c0', 1, true) then error("struct: format 'c0' is not supported by Lodestone", 3) end
  return (fmt:gsub('s', 'z'))
end
M.pack = function(fmt, ...)
  local f = tr(fmt)
  local args = table.pack(...)
  for i = 1, args.n do
    local v = args[i]
    if math.type(v) == 'float' and v == v and v ~= math.huge and v ~= -math.huge then
      local t = v >= 0 and math.floor(v) or math.ceil(v)
      -- integral floats are accepted by string.pack as they are; f and d keep fractions
      if t ~= v then
        local ok, r = pcall(spack, f, table.unpack(args, 1, args.n))
        if ok then return r end
        args[i] = math.tointeger(t) or t
      end
    end
  end
  return spack(f, table.unpack(args, 1, args.n))
end
M.unpack = function(fmt, s, pos) return sunpack(tr(fmt), s, pos) end
M.size = function(fmt) return ssize(tr(fmt)) end
return M
`;

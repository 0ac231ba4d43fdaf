// Bounded string matching for scripts. Lua's pattern matcher (lstrlib.c) is C code that backtracks:
// `string.rep('a', 1e5):find('a*b')` costs n² steps, each extra quantifier multiplies by n, and the
// VM's count hook never fires inside one C call — a single find/match/gmatch/gsub could hold the
// server for hours, past busy-reply-threshold and SIGTERM. Lua 5.4 cannot be patched here (wasmoon
// ships a compiled build), so the prelude wraps the four functions:
//
// - a static worst-case estimate of the C matcher's work: m·n^(q+1) for an unanchored pattern of
//   length m with q backtracking items (`*`, `+`, `-`, `%b`, back-references; `?` counts 2), one
//   less for a quantifier that ends the pattern (it cannot backtrack: the rest matches at once);
//   m·n/10 for a plain search (memcmp). Under the budget (≈0.25 s of C), the C function runs as it
//   is, and its estimate is added to a running total that calls the engine's stop check each time
//   it passes the budget (the count hook alone would not: a loop of few instructions around
//   expensive C calls ticks it rarely).
// - above it, the same algorithm runs in Lua: a line-by-line port of lstrlib.c's match (same
//   results, captures, errors and "pattern too complex" depth), which the count hook interrupts
//   like any Lua loop. Plain searches are cut into C calls over bounded windows instead.
//
// So a well-behaved pattern on a short string costs one table lookup more than before, and a
// pathological one is slower than C but always stoppable. Behaviour is identical either way (a
// test compares the two paths on random patterns).

/** Estimated C matcher steps above which the Lua port runs instead. */
export const DEFAULT_PATTERN_BUDGET = 5e7;

export const PATTERN_LUA = String.raw`
local budget, check = ...
budget = math.floor(budget)
local byte, sub, char, find0, match0, gmatch0, gsub0 = string.byte, string.sub, string.char, string.find, string.match, string.gmatch, string.gsub
local type, tostring, error, mtype, tointeger, tonumber, unpack, concat = type, tostring, error, math.type, math.tointeger, tonumber, table.unpack, table.concat
local MAXCCALLS, MAXCAPTURES = 200, 32
local pcall0 = pcall
-- Errors of the Lua port: raised as a marked table, re-raised by the wrapper at its caller's line
-- (luaL_error in the C function names the line that called string.find).
local PERR = {}
local function perr(msg) error({ [PERR] = msg }, 0) end
-- Re-raise what a wrapped call raised, as if the C function had been called directly.
local function rethrow(ok, ...)
  if ok then return ... end
  local e = ...
  if type(e) == 'table' and e[PERR] then error(e[PERR], 2) end
  if type(e) == 'string' then
    local rest = match0(e, '^pattern:%d+: (.*)$')
    if rest then error(rest, 2) end
  end
  error(e, 0)
end
local CAP_UNFINISHED, CAP_POSITION = -1, -2

-- Character classes, computed with the C matcher itself (same ctype table).
local classes = {}
for _, l in ipairs({ 'a', 'c', 'd', 'g', 'l', 'p', 's', 'u', 'w', 'x' }) do
  local lo, up = {}, {}
  for c = 0, 255 do
    local yes = find0(char(c), '%' .. l) ~= nil
    lo[c] = yes
    up[c] = not yes
  end
  classes[byte(l)] = lo
  classes[byte(l:upper())] = up
end
local function match_class(c, cl)
  local t = classes[cl]
  if t then return t[c] end
  return cl == c
end

-- Worst-case cost of the C matcher, per pattern (bounded cache): { plain, m·2^qq, q, m/10 } so
-- that a call costs one lookup and one power: plain search (n+1)·m/10, else m·2^qq·(n+1)^q.
local costs, ncosts = {}, 0
local function shape(p)
  local m = #p + 1
  local plain = not find0(p, '[%^%$%*%+%?%.%(%[%%%-]')
  local _, q = gsub0(p, '[%*%+%-]', '')
  local _, qq = gsub0(p, '%?', '')
  local _, b = gsub0(p, '%%[b1-9]', '')
  q = q + b
  local last = match0(p, '([%*%+%-%?])%)*$')
  if last == '?' then qq = qq - 1 elseif last then q = q - 1 end
  if byte(p, 1) ~= 94 then q = q + 1 end
  if ncosts > 1000 then costs, ncosts = {}, 0 end
  -- gmatch does not anchor: its entry (key false .. p) counts one more power.
  local e = { plain, m * 2 ^ qq, q, m / 10 }
  costs[p] = e
  ncosts = ncosts + 1
  return e
end
-- C work done since the last check: the count hook only fires every few thousand VM
-- instructions, so many cheap-looking C calls in a short loop are checked here.
local work = 0
local function charge(c)
  work = work + c
  if work > budget then
    work = 0
    check()
  end
end

-- ---- The port of lstrlib.c's matcher --------------------------------------------------------------
local function new_state(src, pat, pstart)
  local s_end, p_end = #src + 1, #pat + 1
  local ms = { level = 0, init = {}, len = {}, depth = MAXCCALLS }
  local ends, sets, bsets = {}, {}, {}
  local cinit, clen = ms.init, ms.len

  local function class_end(p)
    local r = ends[p]
    if r then return r end
    local q = p
    local c = byte(pat, q); q = q + 1
    if c == 37 then
      if q >= p_end then perr("malformed pattern (ends with '%')") end
      r = q + 1
    elseif c == 91 then
      if byte(pat, q) == 94 then q = q + 1 end
      repeat
        if q >= p_end then perr("malformed pattern (missing ']')") end
        local cc = byte(pat, q); q = q + 1
        if cc == 37 and q < p_end then q = q + 1 end
      until byte(pat, q) == 93
      r = q + 1
    else
      r = q
    end
    ends[p] = r
    return r
  end

  -- matchbracketclass(c, p, ec) as a 256-entry set (p at '[', ec at ']').
  local function bracket_set(p, ec)
    local key = p * 65536 + ec
    local set = bsets[key]
    if set then return set end
    set = {}
    for c = 0, 255 do
      local sig = true
      local q = p
      if byte(pat, q + 1) == 94 then sig = false; q = q + 1 end
      local res = not sig
      q = q + 1
      while q < ec do
        local pc = byte(pat, q)
        if pc == 37 then
          q = q + 1
          if match_class(c, byte(pat, q)) then res = sig break end
        elseif byte(pat, q + 1) == 45 and q + 2 < ec then
          q = q + 2
          if byte(pat, q - 2) <= c and c <= byte(pat, q) then res = sig break end
        elseif pc == c then res = sig break end
        q = q + 1
      end
      set[c] = res
    end
    bsets[key] = set
    return set
  end

  -- The set of characters the single item at p (ending before ep) matches.
  local function item_set(p, ep)
    local set = sets[p]
    if set then return set end
    local c = byte(pat, p)
    if c == 46 then
      set = {}
      for i = 0, 255 do set[i] = true end
    elseif c == 37 then
      set = {}
      local cl = byte(pat, p + 1)
      for i = 0, 255 do set[i] = match_class(i, cl) end
    elseif c == 91 then
      set = bracket_set(p, ep - 1)
    else
      set = {}
      for i = 0, 255 do set[i] = false end
      set[c] = true
    end
    sets[p] = set
    return set
  end

  local match
  local function max_expand(s, p, ep)
    local set = item_set(p, ep)
    local i = 0
    while true do
      local b = byte(src, s + i)
      if b and set[b] then i = i + 1 else break end
    end
    while i >= 0 do
      local res = match(s + i, ep + 1)
      if res then return res end
      i = i - 1
    end
    return nil
  end
  local function min_expand(s, p, ep)
    local set = item_set(p, ep)
    while true do
      local res = match(s, ep + 1)
      if res then return res end
      local b = byte(src, s)
      if b and set[b] then s = s + 1 else return nil end
    end
  end
  local function start_capture(s, p, what)
    local level = ms.level
    if level >= MAXCAPTURES then perr('too many captures') end
    level = level + 1
    cinit[level] = s
    clen[level] = what
    ms.level = level
    local res = match(s, p)
    if not res then ms.level = ms.level - 1 end
    return res
  end
  local function end_capture(s, p)
    local l = ms.level
    while l >= 1 and clen[l] ~= CAP_UNFINISHED do l = l - 1 end
    if l < 1 then perr('invalid pattern capture') end
    clen[l] = s - cinit[l]
    local res = match(s, p)
    if not res then clen[l] = CAP_UNFINISHED end
    return res
  end
  local function match_capture(s, d)
    local l = d - 48
    if l < 1 or l > ms.level or clen[l] == CAP_UNFINISHED then
      perr('invalid capture index %' .. tostring(l))
    end
    local len = clen[l]
    if len >= 0 and s_end - s >= len and sub(src, cinit[l], cinit[l] + len - 1) == sub(src, s, s + len - 1) then
      return s + len
    end
    return nil
  end
  local function matchbalance(s, p)
    if p >= p_end - 1 then perr("malformed pattern (missing arguments to '%b')") end
    if (byte(src, s) or 0) ~= byte(pat, p) then return nil end
    local b, e = byte(pat, p), byte(pat, p + 1)
    local cont = 1
    s = s + 1
    while s < s_end do
      local ch = byte(src, s)
      if ch == e then
        cont = cont - 1
        if cont == 0 then return s + 1 end
      elseif ch == b then
        cont = cont + 1
      end
      s = s + 1
    end
    return nil
  end

  match = function(s, p)
    local depth = ms.depth
    if depth == 0 then perr('pattern too complex') end
    ms.depth = depth - 1
    while p ~= p_end do
      local c = byte(pat, p)
      local c1 = byte(pat, p + 1)
      if c == 40 then
        if c1 == 41 then s = start_capture(s, p + 2, CAP_POSITION)
        else s = start_capture(s, p + 1, CAP_UNFINISHED) end
        break
      elseif c == 41 then
        s = end_capture(s, p + 1)
        break
      elseif c == 36 and p + 1 == p_end then
        if s ~= s_end then s = nil end
        break
      elseif c == 37 and c1 == 98 then
        s = matchbalance(s, p + 2)
        if not s then break end
        p = p + 4
      elseif c == 37 and c1 == 102 then
        p = p + 2
        if byte(pat, p) ~= 91 then perr("missing '[' after '%f' in pattern") end
        local ep = class_end(p)
        local set = bracket_set(p, ep - 1)
        local prev = s == 1 and 0 or byte(src, s - 1)
        if not set[prev] and set[byte(src, s) or 0] then
          p = ep
        else
          s = nil
          break
        end
      elseif c == 37 and c1 and c1 >= 48 and c1 <= 57 then
        s = match_capture(s, c1)
        if not s then break end
        p = p + 2
      else
        local ep = class_end(p)
        local epc = byte(pat, ep)
        local b = byte(src, s)
        if not (b and item_set(p, ep)[b]) then
          if epc == 42 or epc == 63 or epc == 45 then
            p = ep + 1
          else
            s = nil
            break
          end
        elseif epc == 63 then
          local res = match(s + 1, ep + 1)
          if res then s = res break end
          p = ep + 1
        elseif epc == 43 then
          s = max_expand(s + 1, p, ep)
          break
        elseif epc == 42 then
          s = max_expand(s, p, ep)
          break
        elseif epc == 45 then
          s = min_expand(s, p, ep)
          break
        else
          s = s + 1
          p = ep
        end
      end
    end
    ms.depth = ms.depth + 1
    return s
  end

  ms.match = function(s)
    ms.level = 0
    ms.depth = MAXCCALLS
    return match(s, pstart)
  end
  -- Capture i (1-based) of a match [s, e): string, or position, or the whole match when none.
  ms.capture = function(i, s, e)
    if i > ms.level then
      if i ~= 1 then perr('invalid capture index %' .. i) end
      return sub(src, s, e - 1)
    end
    local l = clen[i]
    if l == CAP_UNFINISHED then perr('unfinished capture') end
    if l == CAP_POSITION then return cinit[i] end
    return sub(src, cinit[i], cinit[i] + l - 1)
  end
  ms.captures = function(s, e, wholeIfNone)
    local n = (ms.level == 0 and wholeIfNone) and 1 or ms.level
    local out = {}
    for i = 1, n do out[i] = ms.capture(i, s, e) end
    return out, n
  end
  return ms
end

-- Arguments as the C functions read them (luaL_checklstring / optinteger); anything unusual is
-- handed to the C function itself, which raises its own error.
local function str(v)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return tostring(v) end
  return nil
end
local function int(v, default)
  if v == nil then return default end
  if mtype(v) == 'integer' then return v end
  local n = tonumber(v)
  return n and tointeger(n)
end
local function posrelat(pos, len)
  if pos > 0 then return pos end
  if pos == 0 then return 1 end
  if pos < -len then return 1 end
  return len + pos + 1
end

-- Plain search in windows: each C call looks at most 'win' start positions.
local function plain_find(s, p, init)
  local n, m = #s, #p
  local win = budget // (m + 1) + 1
  local pos = init
  while pos + m - 1 <= n do
    local last = pos + win + m - 2
    if last > n then last = n end
    local i = find0(sub(s, pos, last), p, 1, true)
    if i then return pos + i - 1, pos + i + m - 2 end
    pos = pos + win
    charge(budget)
  end
  return nil
end

local function find_aux(isfind, s0, p0, init0, plain0)
  local s, p, init = str(s0), str(p0), int(init0, 1)
  local ls = #s
  init = posrelat(init, ls)
  if init > ls + 1 then return nil end
  if isfind and (plain0 or not find0(p, '[%^%$%*%+%?%.%(%[%%%-]')) then
    return plain_find(s, p, init)
  end
  local anchor = byte(p, 1) == 94
  local ms = new_state(s, p, anchor and 2 or 1)
  local s1 = init
  repeat
    local e = ms.match(s1)
    if e then
      if isfind then
        local caps, n = ms.captures(s1, e, false)
        return s1, e - 1, unpack(caps, 1, n)
      end
      local caps, n = ms.captures(s1, e, true)
      return unpack(caps, 1, n)
    end
    s1 = s1 + 1
  until s1 > ls + 1 or anchor
  return nil
end

local gmatch_lua
local C = { find = string.find, match = string.match, gmatch = string.gmatch, gsub = string.gsub }

-- The C path has no pcall (in this wasm build every pcall is a JS round trip): an error there
-- names the wrapper's line; the script error handler puts the caller's line back (prelude.ts).
-- Arguments that are not two strings (numbers: short) go to C as they are, as does an init C
-- would refuse (it raises before matching).
string.find = function(s, p, init, plain, ...)
  if type(s) == 'string' and type(p) == 'string' then
    local e = costs[p] or shape(p)
    local c = (plain or e[1]) and (#s + 1) * e[4] or e[2] * (#s + 1) ^ e[3]
    if c <= budget then
      work = work + c
      if work > budget then work = 0 check() end
    elseif int(init, 1) then
      return rethrow(pcall0(find_aux, true, s, p, init, plain))
    end
  end
  local find = C.find
  return find(s, p, init, plain, ...)
end

string.match = function(s, p, init, ...)
  if type(s) == 'string' and type(p) == 'string' then
    local e = costs[p] or shape(p)
    local c = e[2] * (#s + 1) ^ e[3]
    if c <= budget then
      work = work + c
      if work > budget then work = 0 check() end
    elseif int(init, 1) then
      return rethrow(pcall0(find_aux, false, s, p, init))
    end
  end
  local match = C.match
  return match(s, p, init, ...)
end

string.gmatch = function(s, p, init, ...)
  if type(s) == 'string' and type(p) == 'string' then
    local e = costs[p] or shape(p)
    -- '^' is no anchor for gmatch: one more power than the entry counted.
    local c = e[2] * (#s + 1) ^ (byte(p, 1) == 94 and e[3] + 1 or e[3])
    if c <= budget then
      charge(c)
    elseif int(init, 1) then
      return gmatch_lua(s, p, init)
    end
  end
  local gmatch = C.gmatch
  return gmatch(s, p, init, ...)
end

gmatch_lua = function(ss, pp, init)
  local ls = #ss
  local src = posrelat(int(init, 1), ls)
  if src > ls + 1 then src = ls + 2 end
  local ms = new_state(ss, pp, 1)
  local lastmatch = nil
  local function step()
    while src <= ls + 1 do
      local e = ms.match(src)
      if e and e ~= lastmatch then
        local start = src
        src, lastmatch = e, e
        local caps, n = ms.captures(start, e, true)
        return unpack(caps, 1, n)
      end
      src = src + 1
    end
    return nil
  end
  return function() return rethrow(pcall0(step)) end
end

local function add_s(ms, out, news, s, e)
  local i, l = 1, #news
  while true do
    local j = find0(news, '%', i, true)
    if not j then
      out[#out + 1] = sub(news, i, l)
      return
    end
    out[#out + 1] = sub(news, i, j - 1)
    local d = byte(news, j + 1)
    if d == 37 then
      out[#out + 1] = '%'
    elseif d == 48 then
      out[#out + 1] = sub(ms.src, s, e - 1)
    elseif d and d >= 49 and d <= 57 then
      local v = ms.capture(d - 48, s, e)
      out[#out + 1] = tostring(v)
    else
      perr("invalid use of '%' in replacement string")
    end
    i = j + 2
  end
end

local gsub_lua
string.gsub = function(s, p, repl, max_s, ...)
  if type(s) == 'string' and type(p) == 'string' then
    local e = costs[p] or shape(p)
    local c = e[2] * (#s + 1) ^ e[3]
    if c <= budget then
      charge(c)
    else
      local tr = type(repl)
      if (tr == 'number' or tr == 'string' or tr == 'function' or tr == 'table') and (max_s == nil or int(max_s)) then
        return rethrow(pcall0(gsub_lua, s, p, repl, tr, max_s))
      end
    end
  end
  local gsub = C.gsub
  return gsub(s, p, repl, max_s, ...)
end
gsub_lua = function(ss, pp, repl, tr, max_s)
  local srcl = #ss
  max_s = int(max_s, srcl + 1)
  local anchor = byte(pp, 1) == 94
  local ms = new_state(ss, pp, anchor and 2 or 1)
  ms.src = ss
  local news = tr == 'number' and tostring(repl) or repl
  local out = {}
  -- [keep, src) is subject text still to be copied as it is.
  local src, keep, lastmatch, n, changed = 1, 1, nil, 0, false
  while n < max_s do
    local e = ms.match(src)
    if e and e ~= lastmatch then
      n = n + 1
      if tr == 'string' or tr == 'number' then
        out[#out + 1] = sub(ss, keep, src - 1)
        add_s(ms, out, news, src, e)
        keep = e
        changed = true
      else
        local v
        if tr == 'function' then
          local caps, k = ms.captures(src, e, true)
          v = repl(unpack(caps, 1, k))
        else
          v = repl[ms.capture(1, src, e)]
        end
        if v then
          if type(v) ~= 'string' and type(v) ~= 'number' then
            perr('invalid replacement value (a ' .. type(v) .. ')')
          end
          out[#out + 1] = sub(ss, keep, src - 1)
          out[#out + 1] = tostring(v)
          keep = e
          changed = true
        end
      end
      src, lastmatch = e, e
    elseif src <= srcl then
      src = src + 1
    else
      break
    end
    if anchor then break end
  end
  if not changed then return ss, n end
  out[#out + 1] = sub(ss, keep, srcl)
  return concat(out), n
end
string.gfind = string.gmatch
`;

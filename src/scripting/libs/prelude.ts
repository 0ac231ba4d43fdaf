// The Lua environment a script sees, built once per Lua state: Redis 7's globals (the `redis` table,
// cjson, cmsgpack, bit, struct, the 5.1 compatibility names), read-only protection, and the error
// handler that records where an error happened. Written in Lua because it manipulates Lua values
// (metatables, environments); JS supplies only the primitives that touch the server (`js.*`).
//
// Protection (Redis 7's readonly tables, reproduced with metatables): scripts run with `_ENV` = an
// empty proxy whose reads fall through to the real globals and whose writes raise "Attempt to
// modify a readonly table"; a read of a missing global raises "Script attempted to access
// nonexistent global variable '<name>'". Library tables are read-only proxies the same way, and
// rawset/setmetatable refuse them. The error handler is Redis 7.0's, line for line.

import { BIT_LUA } from './bit.js';
import { CJSON_LUA } from './cjson.js';
import { CMSGPACK_LUA } from './cmsgpack.js';
import { STRUCT_LUA } from './struct.js';
import { PATTERN_LUA } from './pattern.js';

function lib(name: string, src: string): string {
  return `local ${name} = load(${JSON.stringify(src)}, '=${name}')(NULL)\n`;
}

export const PRELUDE_LUA =
  String.raw`
local NULL, js, version, versionNum, mode, patternBudget = ...
local G = _G
local dbg = debug
local rawset0, setmt0, getmt0, load0, type, error, tostring, next = rawset, setmetatable, getmetatable, load, type, error, tostring, next
local pcall_raw = pcall
` +
  lib('cjson', CJSON_LUA) +
  lib('cmsgpack', CMSGPACK_LUA) +
  lib('bit', BIT_LUA) +
  lib('struct', STRUCT_LUA) +
  String.raw`
local protected = setmt0({}, { __mode = 'k' })
local function ro_error() error('Attempt to modify a readonly table', 2) end
local function readonly(t)
  local p = setmt0({}, {
    __index = t,
    __newindex = ro_error,
    -- The iterator closes over the real table: pairs() must never hand it out (its state value
    -- would be a writable reference to the library).
    __pairs = function(p) return function(_, k) return next(t, k) end, p, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
  protected[p] = true
  return p
end
-- The real globals are protected too: nothing may rawset/setmetatable them (a chunk made by load
-- runs with the read-only env, never with G, but defence in depth).
protected[G] = true

-- Lua 5.1 names Redis scripts use.
G.unpack = table.unpack
table.getn = function(t) return #t end
math.mod = math.fmod
math.pow = function(a, b) return a ^ b end
-- find / match / gmatch / gsub with a bounded C cost (libs/pattern.ts); also sets gfind.
load(${JSON.stringify(PATTERN_LUA)}, '=pattern')(patternBudget, js.check)
local function argcheck(ok, n, fname, expected, v)
  if not ok then error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected .. " expected, got " .. type(v) .. ")", 3) end
end
G.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  argcheck(type(t) == 'table', 1, 'rawset', 'table', t)
  local rawset = rawset0
  return (rawset(t, k, v))
end
-- setmetatable: protected tables refuse; a __gc field is never registered (Lua 5.1, which Redis
-- runs, ignores __gc on tables, and a finalizer would run with the VM's hooks off: a looping one
-- could never be stopped). The field stays in the metatable, as 5.4 does for a __gc added later.
local rawget0 = rawget
G.setmetatable = function(t, m)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  local setmetatable = setmt0
  argcheck(type(t) == 'table', 1, 'setmetatable', 'table', t)
  argcheck(m == nil or type(m) == 'table', 2, 'setmetatable', 'nil or table', m)
  if m == nil or protected[m] or rawget0(m, '__gc') == nil then
    return (setmetatable(t, m))
  end
  local gc = rawget0(m, '__gc')
  rawset0(m, '__gc', nil)
  local ok, e = pcall_raw(setmt0, t, m)
  rawset0(m, '__gc', gc)
  if not ok then error(e, 2) end
  return t
end
-- Redis 7's pcall (luaRedisPcall): an error table with a string 'err' is returned as that string.
-- Once the time budget has stopped a script, nothing may catch the stop: pcall, xpcall (whose
-- message handler is not called either: it runs with the count hook off when the stop is raised
-- from the hook), coroutine.resume / close, and load's reader function re-raise it.
local pcall0, xpcall0, resume0, close0, killed = pcall, xpcall, coroutine.resume, coroutine.close, js.killed
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if killed() then error(e, 0) end
  if type(e) == 'table' then
    local s = e.err
    if type(s) == 'string' or type(s) == 'number' then e = s end
  end
  return false, e
end
G.pcall = function(f, ...) return pcall_result(pcall0(f, ...)) end
local function rethrow_if_killed(ok, ...)
  if not ok and killed() then error((...), 0) end
  return ok, ...
end
G.xpcall = function(f, h, ...)
  local function handler(e)
    if killed() then return e end
    return h(e)
  end
  return rethrow_if_killed(xpcall0(f, handler, ...))
end
coroutine.resume = function(co, ...) return rethrow_if_killed(resume0(co, ...)) end
coroutine.close = function(co) return rethrow_if_killed(close0(co)) end
-- collectgarbage as in Redis, minus the options that would change the collector for every later
-- script (stop, setpause, setstepmul, incremental, generational): the collector is shared state.
local cg0 = collectgarbage
local cg_ok = { collect = true, count = true, step = true, isrunning = true }
G.collectgarbage = function(opt, arg)
  if opt == nil then opt = 'collect' end
  if type(opt) == 'string' and not cg_ok[opt] then
    error("bad argument #1 to 'collectgarbage' (option '" .. opt .. "' is not allowed in scripts)", 2)
  end
  local collectgarbage = cg0
  return collectgarbage(opt, arg)
end
G.gcinfo = function() return math.floor(cg0('count')) end
-- load / loadstring compile source text only: mode 't' is forced (a binary chunk — string.dump's
-- output, mutated or not — is refused: Lua does not verify bytecode, and a crafted chunk corrupts
-- the VM's heap), and the chunk always runs in the read-only script environment (a caller's env
-- argument is not taken: Lua 5.1's load has none). load takes only a function, as in 5.1.
local loadenv -- set below, once the environment exists
local function text_load(chunk, name)
  local f, e = load0(chunk, name, 't', loadenv)
  -- The reader function runs inside lua_load's protected call: a stop raised there is re-raised.
  if f == nil and killed() then error(e, 0) end
  return f, e
end
G.load = function(f, name)
  if type(f) ~= 'function' then error("bad argument #1 to 'load' (function expected, got " .. type(f) .. ")", 2) end
  return text_load(f, name)
end
G.loadstring = function(s, name)
  if type(s) ~= 'string' and type(s) ~= 'number' then
    error("bad argument #1 to 'loadstring' (string expected, got " .. (s == nil and 'no value' or type(s)) .. ")", 2)
  end
  s = tostring(s)
  return text_load(s, name or s)
end
-- Not in Redis's sandbox.
G.io, G.os, G.package, G.require, G.dofile, G.loadfile, G.debug, G.utf8, G.warn, G.print = nil
local redis = {}
redis.REDIS_VERSION = version
redis.REDIS_VERSION_NUM = versionNum
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.call = js.call
redis.pcall = js.pcall
redis.sha1hex = js.sha1hex
redis.log = js.log
redis.setresp = js.setresp
redis.set_repl = function() end
redis.replicate_commands = function() return true end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = js.acl_check_cmd
redis.status_reply = function(s)
  if type(s) ~= 'string' then error('wrong number or type of arguments', 2) end
  return { ok = s }
end
redis.error_reply = function(s)
  if type(s) ~= 'string' then error('wrong number or type of arguments', 2) end
  if s:sub(1, 1) ~= '-' then s = '-' .. s end
  local sp = s:find(' ', 1, true)
  local code, msg
  if sp then code, msg = s:sub(2, sp - 1), s:sub(sp + 1) else code, msg = 'ERR', s:sub(2) end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return { err = code .. ' ' .. msg }
end

-- Redis 7.0's error handler (script_lua.c): adds where the error happened.
local function handler(err)
  -- Redis skips one C frame (redis.call, a C library); here the read-only metamethods and the
  -- libraries are Lua chunks named '=…', so every such frame is skipped too.
  local lvl = 2
  local i = dbg.getinfo(lvl, 'nSl')
  while i and (i.what == 'C' or i.source:sub(1, 1) == '=') and lvl < 12 do
    lvl = lvl + 1
    i = dbg.getinfo(lvl, 'nSl')
  end
  if type(err) ~= 'table' then
    err = tostring(err)
    -- A C string function called through libs/pattern.ts's wrapper names the wrapper's line.
    if i and err:sub(1, 8) == 'pattern:' then err = err:gsub('^pattern:%d+: ', i.short_src .. ':' .. i.currentline .. ': ', 1) end
    err = { err = 'ERR ' .. err }
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

local missing = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
local function env_of(globals)
  local env = setmt0({}, { __index = globals, __newindex = ro_error, __metatable = false })
  protected[env] = true
  return env
end

local libs = { 'string', 'table', 'math', 'coroutine' }
for _, n in ipairs(libs) do G[n] = readonly(G[n]) end
G.cjson = readonly(cjson)
G.cmsgpack = readonly(cmsgpack)
G.bit = readonly(bit)
G.struct = readonly(struct)
-- The string metatable: its __index is the read-only string library, and getmetatable('') gives a
-- read-only view of it (Redis: the metatable is a readonly table), so no script can add or replace
-- a string method for the scripts after it.
local smt = getmt0('')
smt.__index = G.string
smt.__metatable = readonly(smt)

local R = { handler = handler, collect = function() cg0('collect') end }
if mode == 'eval' then
  G.redis = readonly(redis)
  local env = env_of(G)
  G._G = env
  setmt0(G, { __index = missing, __newindex = ro_error })
  R.env = env
  R.G = G
else
  -- Functions: each library gets its own environment over the shared globals. While a library
  -- loads, 'redis' is Redis 7.0's load-time API (register_function, log, the version and LOG_*
  -- constants: no call/pcall/setresp) and the only global.
  local run_redis = readonly(redis)
  local load_api = {
    register_function = js.register_function,
    log = redis.log,
    REDIS_VERSION = version, REDIS_VERSION_NUM = versionNum,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  }
  local load_redis = setmt0({}, { __index = function(t, k)
    local v = load_api[k]
    if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
    return v
  end, __newindex = ro_error, __metatable = false })
  protected[load_redis] = true
  G.redis = run_redis
  -- While a library's code loads, its globals are only 'redis' (the load-time API): Redis 7.0 runs
  -- the load with a globals table holding nothing else (no string, pcall, error …; a function
  -- defined then sees the real globals when it runs).
  local load_globals = setmt0({ redis = load_redis }, { __index = missing, __newindex = ro_error, __metatable = false })
  protected[load_globals] = true
  local last_mt
  R.new_env = function()
    local mt = { __index = G, __newindex = ro_error, __metatable = false }
    local env = setmt0({}, mt)
    protected[env] = true
    last_mt = mt
    return env
  end
  R.loading = function(on) if last_mt then last_mt.__index = on and load_globals or G end end
  G._G = env_of(G)
  setmt0(G, { __index = missing, __newindex = ro_error })
end
loadenv = rawget(G, '_G')
return R
`;

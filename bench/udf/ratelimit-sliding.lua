-- ratelimit-sliding — the gateway's sliding-window-log limiter (same logic as
-- ratelimit-sliding.ts and wasm-examples/examples/ratelimit.ts `sliding`): one sorted-set member
-- per allowed request, scored by its time in ms. KEYS[1] log (per user), ARGV[1] limit,
-- ARGV[2] window in seconds. Reply [allowed (1/0), remaining, retry_after_ms].

local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if #KEYS ~= 1 or #ARGV ~= 2 or not limit or not window or limit <= 0 or window <= 0 then
  return redis.error_reply('usage: EVALSHA <sha> 1 <key> <limit > 0> <window_seconds > 0>')
end
local key = KEYS[1]
local windowMs = window * 1000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - windowMs)
local count = redis.call('ZCARD', key)
if count < limit then
  -- Members must be unique: the time plus the log's size (which only grows within one ms).
  redis.call('ZADD', key, now, now .. '-' .. count)
  redis.call('PEXPIRE', key, windowMs)
  return { 1, limit - count - 1, 0 }
end
-- Denied: retry when the oldest entry leaves the window.
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = windowMs
if #oldest == 2 then retry = tonumber(oldest[2]) + windowMs - now end
return { 0, 0, math.max(retry, 1) }

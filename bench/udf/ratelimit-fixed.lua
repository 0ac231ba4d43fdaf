-- ratelimit-fixed — the gateway's fixed-window limiter (same logic as ratelimit-fixed.ts and
-- wasm-examples/examples/ratelimit.ts `main`): INCR the window's counter, start its TTL on the first
-- hit. KEYS[1] counter (per user), ARGV[1] limit, ARGV[2] window in seconds.
-- Reply [allowed (1/0), remaining, retry_after_ms].

local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if #KEYS ~= 1 or #ARGV ~= 2 or not limit or not window or limit <= 0 or window <= 0 then
  return redis.error_reply('usage: EVALSHA <sha> 1 <key> <limit > 0> <window_seconds > 0>')
end
local windowMs = window * 1000
local count = redis.call('INCR', KEYS[1])
local ttl = windowMs
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], windowMs)
else
  ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    -- The counter lost its TTL (e.g. someone SET it): start a new window instead of blocking forever.
    redis.call('PEXPIRE', KEYS[1], windowMs)
    ttl = windowMs
  end
end
local allowed = count <= limit
return { allowed and 1 or 0, math.max(limit - count, 0), allowed and 0 or math.max(ttl, 0) }

-- keys — a handful of key reads and writes: touch a user's session.
--   KEYS[1] profile name, KEYS[2] visit counter, KEYS[3] last-seen   ARGV[1] name, ARGV[2] now
-- SET the name and read it back, INCR the visits, read the previous last-seen and store the new
-- one; reply [name, visits, previous last-seen or nil]. Same logic as keys.ts.

redis.call('SET', KEYS[1], ARGV[1])
local name = redis.call('GET', KEYS[1])
local visits = redis.call('INCR', KEYS[2])
local last = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[3], ARGV[2])
return { name, visits, last }

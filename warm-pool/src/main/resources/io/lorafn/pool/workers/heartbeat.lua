-- Records a worker's heartbeat: its info (KEYS[1], a hash) and when it was seen (KEYS[2], a sorted set).
-- The time is Redis's own, so liveness never depends on the machines' clocks agreeing.
-- ARGV[1] worker id, ARGV[2] its info as JSON, ARGV[3] '1' when its state changed since its last beat:
-- then the id is also published on KEYS[3], so the pool manager sees a restored worker at once instead
-- of at its next refresh. Returns the server time in milliseconds.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
if ARGV[3] == '1' then
  redis.call('PUBLISH', KEYS[3], ARGV[1])
end
return now

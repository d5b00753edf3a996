-- Records a worker's heartbeat: its info (KEYS[1], a hash) and when it was seen (KEYS[2], a sorted set).
-- The time is Redis's own, so liveness never depends on the machines' clocks agreeing.
-- ARGV[1] worker id, ARGV[2] its info as JSON. Returns the server time in milliseconds.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return now

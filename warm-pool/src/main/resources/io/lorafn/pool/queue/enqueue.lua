-- Appends a call to its tenant's queue (KEYS[1]), marks the tenant as having calls waiting (KEYS[2]) and
-- records its share weight (KEYS[3], a hash), in one step, so the dispatcher can never miss a queued call.
-- ARGV[1] tenant, ARGV[2] the call's JSON, ARGV[3] the tenant's weight (its tier's share of worker slots).
local id = redis.call('XADD', KEYS[1], '*', 'call', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return id

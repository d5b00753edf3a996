-- Appends a call to its tenant's queue (KEYS[1]) and marks the tenant as having calls waiting (KEYS[2]),
-- in one step, so the dispatcher can never miss a queued call. ARGV[1] tenant, ARGV[2] the call's JSON.
local id = redis.call('XADD', KEYS[1], '*', 'call', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return id

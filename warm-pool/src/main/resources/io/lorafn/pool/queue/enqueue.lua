-- Appends a call to its tenant's queue: KEYS[1] the queue, KEYS[2] the active tenants, KEYS[3] the weights.
-- ARGV[1] tenant, ARGV[2] the call's JSON, ARGV[3] the tenant's weight.
return queue_call(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])

-- Creates a tenant (KEYS[1]) and its key index entry (KEYS[2]) in one step, or nothing if the id is taken.
-- ARGV: key sha256, tier, rps, burst, tenant id. Returns 1 when created, 0 when the id exists.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'key_sha256', ARGV[1], 'tier', ARGV[2], 'rps', ARGV[3], 'burst', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5])
return 1

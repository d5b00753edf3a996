-- Removes a tenant (ARGV[1]) from the active set (KEYS[2]) if its queue (KEYS[1]) is empty.
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 1

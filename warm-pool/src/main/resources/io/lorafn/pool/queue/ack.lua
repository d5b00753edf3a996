-- Acks a finished call and removes it from the worker's stream (KEYS[1]), so the stream's length is the
-- number of calls assigned to the worker and not yet finished. ARGV[1] group, ARGV[2] entry id.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])

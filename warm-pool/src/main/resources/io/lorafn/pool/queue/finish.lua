-- Everything a worker writes when a call ends, in one step: the activation record (KEYS[1]) first, so a
-- client that sees the final chunk can always read the record, then the final chunk on the invoker's reply
-- stream (KEYS[2]), then the usage event (KEYS[3]) when the call is billed.
-- ARGV: 1 record JSON, 2 record TTL in seconds, 3 reply stream length cap, 4 final chunk JSON, 5 usage event JSON or ''
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'chunk', ARGV[4])
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[3], '*', 'event', ARGV[5])
end
return 1

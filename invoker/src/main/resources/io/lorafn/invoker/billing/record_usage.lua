-- Folds one usage event into its tenant's daily counters, once per activation id: a redelivered event
-- finds its marker and changes nothing. KEYS[1] marker, KEYS[2] counters hash, KEYS[3] the day's index.
-- ARGV: marker TTL seconds, index member (tenant:function), prompt, completion, compute_ms, cold (0/1).
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  return 0
end
redis.call('HINCRBY', KEYS[2], 'requests', 1)
redis.call('HINCRBY', KEYS[2], 'prompt_tokens', tonumber(ARGV[3]))
redis.call('HINCRBY', KEYS[2], 'completion_tokens', tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[2], 'compute_ms', tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[2], 'cold_starts', tonumber(ARGV[6]))
redis.call('SADD', KEYS[3], ARGV[2])
return 1

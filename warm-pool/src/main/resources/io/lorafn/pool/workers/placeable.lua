-- Replaces the set of workers that take calls (KEYS[1]: id -> JSON {id, slots, hot, warm}), read by admission.
-- ARGV: id, json, id, json, ...
redis.call('DEL', KEYS[1])
if #ARGV > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
end
return 1

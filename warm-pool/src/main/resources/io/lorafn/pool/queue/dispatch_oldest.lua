-- Moves the oldest call of a tenant's queue (KEYS[1]) to the worker place() picks among the candidates, in
-- one atomic step, so a call is always in exactly one place. ARGV[1] the worker stream key prefix,
-- ARGV[2] the candidates as a JSON array of {id, slots, hot, warm}.
-- Returns {call JSON, worker id}, or nil when the queue is empty or no candidate has a free slot.
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #entries == 0 then
  return false
end
local id = entries[1][1]
local fields = entries[1][2]
local call = cjson.decode(fields[2])
local best = place(cjson.decode(ARGV[2]), ARGV[1], call['tenant'] .. '/' .. call['adapter_name'] .. '/' .. call['adapter_version'])
if not best then
  return false
end
redis.call('XADD', ARGV[1] .. best, '*', unpack(fields))
redis.call('XDEL', KEYS[1], id)
return {fields[2], best}

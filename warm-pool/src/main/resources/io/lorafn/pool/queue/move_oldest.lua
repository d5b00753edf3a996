-- Moves the oldest call from a tenant's queue (KEYS[1]) to a worker's stream (KEYS[2]) in one atomic
-- step, so a call is always in exactly one of them. Returns the call's JSON, or nil when the queue is empty.
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #entries == 0 then
  return false
end
local id = entries[1][1]
local fields = entries[1][2]
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XDEL', KEYS[1], id)
return fields[2]

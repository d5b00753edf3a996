-- The pool's demand in one step: calls waiting in the tenants' queues (the tenants in KEYS[1]) and calls
-- assigned to the given workers and not finished (their streams' lengths).
-- ARGV: 1 tenant queue key prefix, 2 worker stream key prefix, 3.. worker ids. Returns {waiting, assigned}.
local waiting = 0
for _, tenant in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  waiting = waiting + redis.call('XLEN', ARGV[1] .. tenant)
end
local assigned = 0
for i = 3, #ARGV do
  assigned = assigned + redis.call('XLEN', ARGV[2] .. ARGV[i])
end
return {waiting, assigned}

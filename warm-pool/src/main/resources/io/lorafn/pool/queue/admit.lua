-- Admits a call and enqueues it in one step, so an accepted call costs the invoker one round trip:
-- admission by queue depth (KEYS[2]), the tenant's token bucket (KEYS[1]), then the activation record
-- (KEYS[3]) and the enqueue (queue_call: KEYS[2] queue, KEYS[4] active tenants, KEYS[5] weights). A call
-- refused for depth takes no token. Time is the server's, so the invokers' clocks do not matter, and every
-- invoker shares one bucket per tenant.
-- When no tenant has calls waiting (KEYS[4] is empty) and a placeable worker (KEYS[6]: id -> JSON
-- {slots, hot, warm}, kept by the pool manager) has a free slot, the call goes straight to the worker that
-- place() picks: what the dispatcher would do then, without its round trips. Otherwise it waits in its queue.
-- Every admitted call counts in KEYS[7], which the autoscaler reads: traffic between its ticks is demand too.
-- ARGV: 1 refill rate per second, 2 burst, 3 most calls waiting, 4 tenant, 5 call JSON, 6 weight,
--       7 activation record JSON, 8 its TTL in seconds, 9 the worker stream key prefix, 10 the call's adapter
-- Returns {'ADMITTED', entry id, 'queued' | worker id} | {'RATE_LIMITED', ms until a token is back}
--       | {'QUEUE_FULL', depth}
local depth = redis.call('XLEN', KEYS[2])
if depth >= tonumber(ARGV[3]) then
  return {'QUEUE_FULL', tostring(depth)}
end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local admitted = tokens >= 1
if admitted then
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
if not admitted then
  return {'RATE_LIMITED', tostring(math.ceil((1 - tokens) * 1000 / rate))}
end
redis.call('SET', KEYS[3], ARGV[7], 'EX', ARGV[8])
redis.call('INCR', KEYS[7])
if redis.call('SCARD', KEYS[4]) == 0 then
  local workers = redis.call('HGETALL', KEYS[6])
  local candidates = {}
  for i = 1, #workers, 2 do
    local c = cjson.decode(workers[i + 1])
    c.id = workers[i]
    candidates[#candidates + 1] = c
  end
  local best = place(candidates, ARGV[9], ARGV[10])
  if best then
    return {'ADMITTED', redis.call('XADD', ARGV[9] .. best, '*', 'call', ARGV[5]), best}
  end
end
return {'ADMITTED', queue_call(KEYS[2], KEYS[4], KEYS[5], ARGV[4], ARGV[5], ARGV[6]), 'queued'}

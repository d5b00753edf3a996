-- Puts a call in its tenant's queue (prepended to the scripts that enqueue): appends it to the stream,
-- marks the tenant as having calls waiting and records its share weight (its tier's share of worker
-- slots), in one step, so the dispatcher can never miss a queued call. Returns the entry id.
local function queue_call(queueKey, activeKey, weightsKey, tenant, callJson, weight)
  local id = redis.call('XADD', queueKey, '*', 'call', callJson)
  redis.call('SADD', activeKey, tenant)
  redis.call('HSET', weightsKey, tenant, weight)
  return id
end

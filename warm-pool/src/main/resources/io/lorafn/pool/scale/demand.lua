-- The pool's demand in one step: calls waiting in the tenants' queues (the tenants in KEYS[1]), calls
-- assigned to the given workers and not finished (their streams' lengths), and the adapters of the calls
-- at the heads of the queues (tenant/name/version, up to 8), which a worker started now can load at once.
-- Also the count of calls admitted so far (KEYS[2]), so that calls which came and went between two ticks
-- count as demand.
-- ARGV: 1 tenant queue key prefix, 2 worker stream key prefix, 3.. worker ids.
-- Returns {waiting, assigned, admitted, adapter, adapter, ...}.
local waiting = 0
local adapters, seen = {}, {}
for _, tenant in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local depth = redis.call('XLEN', ARGV[1] .. tenant)
  waiting = waiting + depth
  if depth > 0 and #adapters < 8 then
    local head = redis.call('XRANGE', ARGV[1] .. tenant, '-', '+', 'COUNT', 1)
    if #head > 0 then
      local fields = head[1][2]
      for i = 1, #fields, 2 do
        if fields[i] == 'call' then
          local call = cjson.decode(fields[i + 1])
          local key = call['tenant'] .. '/' .. call['adapter_name'] .. '/' .. call['adapter_version']
          if not seen[key] then
            seen[key] = true
            adapters[#adapters + 1] = key
          end
        end
      end
    end
  end
end
local assigned = 0
for i = 3, #ARGV do
  assigned = assigned + redis.call('XLEN', ARGV[2] .. ARGV[i])
end
local out = {waiting, assigned, tonumber(redis.call('GET', KEYS[2]) or '0')}
for _, a in ipairs(adapters) do
  out[#out + 1] = a
end
return out

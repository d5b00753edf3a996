-- Hands a dead worker's calls back to their tenants' queues, those it was running and those still waiting
-- in its stream alike, then forgets the worker. Silence is checked here, against server time, so a worker
-- that came back in the meantime (a replacement under the same id) keeps its calls. One script: a call is
-- always in exactly one place.
-- KEYS[1] seen (sorted set), KEYS[2] workers (hash), KEYS[3] the worker's stream, KEYS[4] active tenants (set)
-- ARGV[1] worker id, ARGV[2] silence in ms that means dead, ARGV[3] the tenant queue key prefix
-- Returns how many calls went back, or -1 when the worker is alive.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen and now - tonumber(seen) < tonumber(ARGV[2]) then
  return -1
end
local entries = redis.call('XRANGE', KEYS[3], '-', '+')
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'call' then
      local tenant = cjson.decode(fields[i + 1])['tenant']
      redis.call('XADD', ARGV[3] .. tenant, '*', unpack(fields))
      redis.call('SADD', KEYS[4], tenant)
    end
  end
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return #entries

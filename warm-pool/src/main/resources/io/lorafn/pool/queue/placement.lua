-- Placement, shared by admission and dispatch (prepended to both scripts). Of the candidate workers with a
-- free slot (batch slots minus their stream's length: a worker deletes what it acks), the one that has the
-- call's adapter hot, then one that has it warm, then the one with the most free slots. Candidates are
-- tables {id, slots, hot = {...}, warm = {...}}; adapters are named tenant/name/version.
local function place(candidates, streamPrefix, adapter)
  local best, bestScore, bestFree = nil, -1, 0
  for _, c in ipairs(candidates) do
    local free = tonumber(c.slots) - redis.call('XLEN', streamPrefix .. c.id)
    if free > 0 then
      local score = 0
      for _, a in ipairs(c.hot or {}) do
        if a == adapter then score = 2 end
      end
      if score == 0 then
        for _, a in ipairs(c.warm or {}) do
          if a == adapter then score = 1 end
        end
      end
      if score > bestScore or (score == bestScore and free > bestFree) then
        best, bestScore, bestFree = c.id, score, free
      end
    end
  end
  return best
end

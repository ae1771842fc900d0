--[[
  Releases a lock only if this holder still owns it (its token), so an expired-then-retaken lock is never
  released by the old holder.
  KEYS[1] lock key   ARGV[1] token
  Returns 1 released, 0 not ours (or gone)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0

--[[
  Gives the lease up on a clean stop, so another daemon takes over at once instead of after the ttl.
  KEYS[1] lease key   ARGV[1] "<owner>|<token>"
  Returns 1 released, 0 not held by this holder.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0

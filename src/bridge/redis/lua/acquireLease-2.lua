--[[
  Takes (or keeps) the lease of a PBX connection. A new holder gets a new fencing token from a counter that
  only grows, so any write carrying an older token can be refused.
  KEYS[1] lease key (value "<owner>|<token>")   KEYS[2] fencing counter
  ARGV[1] owner id, ARGV[2] ttl in ms
  Returns the holder's fencing token when `owner` holds the lease now, or 0 when someone else does.
]]
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  if string.sub(current, 1, sep - 1) ~= ARGV[1] then return 0 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(current, sep + 1))
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token

--[[
  Raises a partition's fence for a PBX connection to a new holder's token (never lowers it), so commits from an
  older holder are refused in that partition from now on.
  KEYS[1] fence key   ARGV[1] token
  Returns the fence value after the call.
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local token = tonumber(ARGV[1])
if token > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return token
end
return current

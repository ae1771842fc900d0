--[[
  Deletes a status type if its stored version is the expected one.
  KEYS[1] status types hash, KEYS[2] names hash
  ARGV[1] id, ARGV[2] expected version, ARGV[3] folded name
  Returns 1 deleted, -3 version changed meanwhile, -4 not found
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -4 end
if tostring(cjson.decode(current)['version']) ~= ARGV[2] then return -3 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[3])
return 1

--[[
  Creates or replaces one API-managed webhook endpoint, guarded by its version (no lost update between two
  admins' PATCHes).
  KEYS[1] endpoints (hash id → JSON)
  ARGV[1] id   ARGV[2] expected version ("0": must not exist)   ARGV[3] new JSON
  Returns 1 written, 0 exists already (create), -1 missing, -2 version changed.
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '0' then
  if current then return 0 end
else
  if not current then return -1 end
  if tostring(cjson.decode(current).version) ~= ARGV[2] then return -2 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1

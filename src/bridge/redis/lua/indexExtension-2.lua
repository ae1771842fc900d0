--[[
  Keeps the extension → user index of PBX connections in step with a user's directory entry.
  KEYS[1] extension index hash ("<connection>/<extension>" -> user id)
  KEYS[2] user → entry hash (user id -> "<connection>/<extension>")
  ARGV[1] user id, ARGV[2] new entry ("" when the user has no PBX extension or was deleted)
  Returns 1 changed, 0 unchanged, -1 the new entry belongs to another user (left as is).
]]
local old = redis.call('HGET', KEYS[2], ARGV[1])
if (old or '') == ARGV[2] then return 0 end
if ARGV[2] ~= '' then
  local owner = redis.call('HGET', KEYS[1], ARGV[2])
  if owner and owner ~= ARGV[1] then return -1 end
end
if old and redis.call('HGET', KEYS[1], old) == ARGV[1] then redis.call('HDEL', KEYS[1], old) end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return 1

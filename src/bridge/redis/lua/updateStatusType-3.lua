--[[
  Replaces a status type if its stored version is the expected one (compare-and-set), moving its name entry, and
  appends an entry to the catalog outbox in the same step when the change needs work per user (e.g. an edited
  allowance whose users' overage must be re-planned), so a crash cannot apply the change but lose that work.
  KEYS[1] status types hash, KEYS[2] names hash, KEYS[3] catalog outbox stream
  ARGV[1] id, ARGV[2] expected version, ARGV[3] old folded name, ARGV[4] new folded name, ARGV[5] json
  ARGV[6] outbox entry type ("" for none), ARGV[7] its data json, ARGV[8] outbox max length
  Returns 1 updated, -2 name taken, -3 version changed meanwhile, -4 not found
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -4 end
if tostring(cjson.decode(current)['version']) ~= ARGV[2] then return -3 end
if ARGV[3] ~= ARGV[4] then
  local owner = redis.call('HGET', KEYS[2], ARGV[4])
  if owner and owner ~= ARGV[1] then return -2 end
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
if ARGV[6] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'type', ARGV[6], 'user', '', 'data', ARGV[7])
end
return 1

--[[
  Deletes a user and their history, and records a user.deleted event.
  KEYS[1] user hash  KEYS[2] history  KEYS[3] partition user index  KEYS[4] partition event stream
  KEYS[5] in-status set of the current status  KEYS[6] in-upcoming set of the upcoming status (or a dummy)
  KEYS[7] activity log  KEYS[8] missed-offer log
  KEYS[9] pending-sync set and KEYS[10] failed-sync set of the user's PBX connection (or dummies)
  KEYS[11] the user's event index (see commitUser)
  ARGV[1] expected version, ARGV[2] user id, ARGV[3] stream max length, ARGV[4] event json,
  ARGV[5] wake-up channel, ARGV[6] partition
  Returns the event's stream id, 0 when the user does not exist, -1 on a version mismatch.
]]
local current = redis.call('HGET', KEYS[1], 'v')
if not current then return 0 end
if current ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[7], KEYS[8], KEYS[11])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('SREM', KEYS[5], ARGV[2])
redis.call('SREM', KEYS[6], ARGV[2])
redis.call('ZREM', KEYS[9], ARGV[2])
redis.call('ZREM', KEYS[10], ARGV[2])
local id = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'type', 'user.deleted', 'user', ARGV[2], 'data', ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return id

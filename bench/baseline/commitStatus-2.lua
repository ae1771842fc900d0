--[[
  Baseline for the status-change benchmark: what one status commit needs, nothing more.
  KEYS[1] user hash (fields: status, since, by, v)   KEYS[2] capped event stream
  ARGV[1] expected version ("" = any)  ARGV[2] new status  ARGV[3] since  ARGV[4] actor
  ARGV[5] stream max length            ARGV[6] wake-up channel            ARGV[7] user id
  Returns the new version, -1 on a version mismatch, -2 when the user does not exist.
]]
local user = redis.call('HGETALL', KEYS[1])
if #user == 0 then return -2 end
local current
for i = 1, #user, 2 do if user[i] == 'v' then current = user[i + 1] end end
if ARGV[1] ~= '' and ARGV[1] ~= current then return -1 end
local version = tonumber(current) + 1
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'since', ARGV[3], 'by', ARGV[4], 'v', version)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', 'user.status.changed', 'user', ARGV[7], 'status', ARGV[2])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return version

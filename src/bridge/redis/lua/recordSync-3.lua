--[[
  Records the outcome of a PBX sync on the user (not a state change: no version bump) and, on a failure that is
  new, appends a pbx.sync.failed event to the user's partition stream.
  KEYS[1] user hash   KEYS[2] partition event stream   KEYS[3] the user's event index (see commitUser)
  ARGV[1] sync record json  ARGV[2] "1" to append the event  ARGV[3] user id  ARGV[4] event json
  ARGV[5] stream max length  ARGV[6] wake-up channel  ARGV[7] partition
  Returns 1, or 0 when the user no longer exists (nothing written).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'sync', ARGV[1])
if ARGV[2] == '1' then
  local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', 'pbx.sync.failed', 'user', ARGV[3], 'data', ARGV[4])
  redis.call('ZADD', KEYS[3], string.match(id, '^(%d+)'), id)
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1][1]
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.match(oldest, '^(%d+)'))
  redis.call('PUBLISH', ARGV[6], ARGV[7])
end
return 1

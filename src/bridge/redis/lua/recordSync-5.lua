--[[
  Records a step of a PBX sync on the user (not a state change: no version bump) and moves the user's sync state
  (fields syncState, syncDesired, syncSince; commitUser marks it pending) with its pending/failed sets, in one step.
  The worker's step counts only if it worked on what is desired now: the fingerprint it pushed is the desired one,
  or no commit came since the state it computed from (then its fingerprint becomes the desired one: e.g. a status
  type was edited, which changes the desired settings without a commit). Otherwise a newer commit wants other
  settings; its own sync follows, and the state stays pending.
  KEYS[1] user hash   KEYS[2] partition event stream
  KEYS[3] pending-sync set and KEYS[4] failed-sync set of the user's PBX connection in the partition
  KEYS[5] the user's event index (see commitUser)
  ARGV[1] step: "pushing" (about to apply), "applied" (the PBX has these settings), "retrying" (failed, retried
          later), "failed" (failed for good)
  ARGV[2] sync record json (details: lastError, syncedAt, unsupported, fingerprint applied, pushed, connection)
  ARGV[3] fingerprint of the settings pushed ("" unknown)   ARGV[4] version of the state they come from ("" any)
  ARGV[5] now in ms   ARGV[6] "1" to append a pbx.sync.failed event   ARGV[7] user id   ARGV[8] event json
  ARGV[9] stream max length  ARGV[10] wake-up channel  ARGV[11] partition
  Returns the sync state after the step ("in-sync", "pending", "failed"), or 0 when the user no longer exists
  (nothing written).
]]
local user = KEYS[1]
local sync = redis.call('HMGET', user, 'v', 'syncDesired', 'syncState')
if not sync[1] then return 0 end
redis.call('HSET', user, 'sync', ARGV[2])
local now, id, step = ARGV[5], ARGV[7], ARGV[1]
local current = ARGV[4] == '' or ARGV[4] == sync[1] or (ARGV[3] ~= '' and ARGV[3] == sync[2])
if not current then return sync[3] or 'pending' end

local function pending()
  if ARGV[3] ~= '' then redis.call('HSET', user, 'syncDesired', ARGV[3]) end
  if sync[3] ~= 'pending' then redis.call('HSET', user, 'syncState', 'pending', 'syncSince', now) end
  redis.call('ZADD', KEYS[3], 'NX', now, id)
  redis.call('ZREM', KEYS[4], id)
  return 'pending'
end

if step == 'pushing' then
  if ARGV[3] ~= '' and ARGV[3] ~= sync[2] then return pending() end
  return sync[3] or 'pending'
end
if step == 'retrying' then return pending() end
if step == 'applied' then
  redis.call('HSET', user, 'syncDesired', ARGV[3])
  if sync[3] ~= 'in-sync' then redis.call('HSET', user, 'syncState', 'in-sync', 'syncSince', now) end
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
  return 'in-sync'
end
-- failed
if sync[3] ~= 'failed' then redis.call('HSET', user, 'syncState', 'failed', 'syncSince', now) end
redis.call('ZREM', KEYS[3], id)
redis.call('ZADD', KEYS[4], 'NX', now, id)
if ARGV[6] == '1' then
  local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[9], '*', 'type', 'pbx.sync.failed', 'user', id, 'data', ARGV[8])
  redis.call('ZADD', KEYS[5], string.match(entry, '^(%d+)'), entry)
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1][1]
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.match(oldest, '^(%d+)'))
  redis.call('PUBLISH', ARGV[10], ARGV[11])
end
return 'failed'

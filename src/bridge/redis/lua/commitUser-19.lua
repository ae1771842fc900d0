--[[
  Commits one user's new state with its events, atomically (docs/architecture.md, "Commit and outbox").
  KEYS[1] user hash (fields: state, v)      KEYS[2] history list (newest first)
  KEYS[3] partition user index (zset)      KEYS[4] partition event stream (the outbox)
  KEYS[5] in-status set of the old status  KEYS[6] in-status set of the new status
  KEYS[7] in-upcoming set of the old one   KEYS[8] in-upcoming set of the new one
  KEYS[9] activity log list (newest first; ended activities, for occupancy reports)
  KEYS[10] fence of the PBX connection that caused the change, in this partition (unused when ARGV[12] is "")
  KEYS[11] missed-offer log list (newest first; for the missed-offer figure of reports)
  KEYS[12] pending-sync set of the user's PBX connection in this partition, KEYS[13] its failed-sync set
  KEYS[14] pending-sync set of the connection before the change, KEYS[15] its failed-sync set (issue 17)
  KEYS[16] the user's event index (zset: member = stream id of each "user.*" entry, score = its milliseconds),
           trimmed to the partition stream's window; an agent's SSE resume reads it instead of the whole partition
  KEYS[17] the partition's "gone" mark of the new status's type, KEYS[18] that of the new upcoming's type (issue 13)
  KEYS[19] the partition's timer set (zset: member = timer, see timers/timer-member.ts; score = due time in ms)
  ARGV[1] expected version ("0": the user must not exist)
  ARGV[2] new state json      ARGV[3] new version   ARGV[4] user id
  ARGV[5] stream max length   ARGV[6] history max length
  ARGV[7] wake-up channel     ARGV[8] partition number
  ARGV[9] "1" when KEYS[5]/[6] must be updated, ARGV[10] "1" to remove from KEYS[7], ARGV[11] "1" to add to KEYS[8]
  ARGV[12] fencing token of the PBX connection holder issuing the change, or "" (not PBX-originated)
  ARGV[13] the user's PBX connection id after the change, or "" (stored on each entry: the dispatcher routes
           sync jobs by it without loading the user)
  ARGV[14] fingerprint of the user's desired PBX settings after the change, or "" (no PBX extension)
  ARGV[15] now, in ms (when a sync state that becomes pending began)
  ARGV[16] number of history spans S, then S span jsons,
  then the number of activity records A, then A activity jsons, then the number of missed-offer records M, then
  M missed-offer jsons, then the number of timers T, then T (due ms, member) pairs, then event entries as (type,
  json) pairs. A timer requested again (same member) is moved to its new due time: the latest commit decides.
  Returns the list of stream ids of the events, -1 when the stored version is not the expected one, -2 when
  a newer holder of the PBX connection has taken over (the fence is above ARGV[12]), or -3 when the user would
  enter a status type that is deleted or being deleted (closeStatusType marked it gone in this partition).
]]
if ARGV[12] ~= '' and tonumber(redis.call('GET', KEYS[10]) or '0') > tonumber(ARGV[12]) then return -2 end
local current = redis.call('HGET', KEYS[1], 'v')
if (current or '0') ~= ARGV[1] then return -1 end
-- begin issue 13 (delete race): no one enters a deleted type (the delete's in-use check and this are atomic per partition)
if ARGV[9] == '1' and redis.call('EXISTS', KEYS[17]) == 1 then return -3 end
if ARGV[11] == '1' and redis.call('EXISTS', KEYS[18]) == 1 then return -3 end
-- end issue 13 (delete race)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'v', ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
if ARGV[9] == '1' then
  redis.call('SREM', KEYS[5], ARGV[4])
  redis.call('SADD', KEYS[6], ARGV[4])
end
if ARGV[10] == '1' then redis.call('SREM', KEYS[7], ARGV[4]) end
if ARGV[11] == '1' then redis.call('SADD', KEYS[8], ARGV[4]) end
-- begin issue 17: a change of the desired PBX settings makes the sync state pending in this same step (the
-- sync worker's recordSync marks it in-sync once exactly these settings are applied); other changes leave it be.
if KEYS[14] ~= KEYS[12] then
  redis.call('ZREM', KEYS[14], ARGV[4])
  redis.call('ZREM', KEYS[15], ARGV[4])
end
if ARGV[14] == '' then
  redis.call('HDEL', KEYS[1], 'syncDesired', 'syncState', 'syncSince')
else
  local sync = redis.call('HMGET', KEYS[1], 'syncDesired', 'syncState')
  if sync[1] ~= ARGV[14] then
    redis.call('HSET', KEYS[1], 'syncDesired', ARGV[14])
    if sync[2] ~= 'pending' then redis.call('HSET', KEYS[1], 'syncState', 'pending', 'syncSince', ARGV[15]) end
    redis.call('ZADD', KEYS[12], 'NX', ARGV[15], ARGV[4])
    redis.call('ZREM', KEYS[13], ARGV[4])
  end
end
-- end issue 17
local spans = tonumber(ARGV[16])
for i = 1, spans do redis.call('LPUSH', KEYS[2], ARGV[16 + i]) end
if spans > 0 then redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1) end
local activitiesAt = 17 + spans
local activities = tonumber(ARGV[activitiesAt])
for j = 1, activities do redis.call('LPUSH', KEYS[9], ARGV[activitiesAt + j]) end
if activities > 0 then redis.call('LTRIM', KEYS[9], 0, tonumber(ARGV[6]) - 1) end
local missedAt = activitiesAt + activities + 1
local missed = tonumber(ARGV[missedAt])
for m = 1, missed do redis.call('LPUSH', KEYS[11], ARGV[missedAt + m]) end
if missed > 0 then redis.call('LTRIM', KEYS[11], 0, tonumber(ARGV[6]) - 1) end
-- begin issue 15 (timer set): the timers this change requests are scheduled in the same step as the change
local timersAt = missedAt + missed + 1
local timers = tonumber(ARGV[timersAt])
for t = 1, timers do redis.call('ZADD', KEYS[19], ARGV[timersAt + 2 * t - 1], ARGV[timersAt + 2 * t]) end
-- end issue 15
local ids = {}
local i = timersAt + 2 * timers + 1
-- begin issue 13 (event index)
local indexed = false
while i < #ARGV do
  local id = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 'type', ARGV[i], 'user', ARGV[4], 'data', ARGV[i + 1], 'pbx', ARGV[13])
  ids[#ids + 1] = id
  if string.sub(ARGV[i], 1, 5) == 'user.' then
    redis.call('ZADD', KEYS[16], string.match(id, '^(%d+)'), id)
    indexed = true
  end
  i = i + 2
end
if indexed then
  local oldest = redis.call('XRANGE', KEYS[4], '-', '+', 'COUNT', 1)[1][1]
  redis.call('ZREMRANGEBYSCORE', KEYS[16], '-inf', '(' .. string.match(oldest, '^(%d+)'))
end
-- end issue 13
if #ids > 0 then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
return ids

--[[
  Claims due timers of one partition (timers/timer-set.ts): the members scored at or before ARGV[1] (ms), at most
  ARGV[2] of them, each moved on to ARGV[3] (now + the claim timeout) so no other daemon takes it meanwhile. The
  claimer removes a member once its command has committed; one it never removes (it died, or Redis lost the
  write) is due again at ARGV[3] and fired again, which is harmless (decide() makes a stale timer a no-op).
  KEYS[1] the partition's timer set (zset: member = encoded timer, score = due time in ms)
  Returns the claimed members.
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], member) end
return due

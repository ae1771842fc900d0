--[[
  One partition's half of deleting a status type (see catalog/status-type-store.ts "delete"): refuses when a user
  of the partition is in the type or has it upcoming, else marks the type gone there, in the same step, so that
  commitUser (which checks the mark) can no longer move anyone of the partition into it.
  KEYS[1] in-status set of the type   KEYS[2] in-upcoming set of the type   KEYS[3] the partition's mark of the type
  ARGV[1] "close": mark it ("pending:<token>", expiring after ARGV[3] ms, so a deleter that dies does not keep the
          type closed); "seal": the catalog entry is gone, the mark stays ("deleted"); "reopen": remove this
          deleter's pending mark (ARGV[2] its token) after a refusal elsewhere
  ARGV[2] the deleter's token   ARGV[3] pending mark lifetime in ms
  Returns for "close": 0 marked, N > 0 users in the type or with it upcoming, -1 another deleter holds the mark
]]
local mark = redis.call('GET', KEYS[3])
local mine = 'pending:' .. ARGV[2]
if ARGV[1] == 'seal' then
  redis.call('SET', KEYS[3], 'deleted')
  return 0
end
if ARGV[1] == 'reopen' then
  if mark == mine then redis.call('DEL', KEYS[3]) end
  return 0
end
if mark and mark ~= 'deleted' and mark ~= mine then return -1 end
local users = redis.call('SCARD', KEYS[1]) + redis.call('SCARD', KEYS[2])
if users > 0 then return users end
if mark ~= 'deleted' then redis.call('SET', KEYS[3], mine, 'PX', ARGV[3]) end
return 0

--[[
  Claims the due timers of one partition (docs/architecture.md, "Dispatcher and timers"). KEYS[1] the timer set.
  ARGV[1] now (ms, the daemon's clock), ARGV[2] claim lease (ms), ARGV[3] the most to claim, ARGV[4] "all" to claim
  every timer not claimed right now, due or not (Timers.promoteAll: tests and operators' "fire overdue timers").
  Each claimed member is scored now + lease + 0.5 (a due time is whole ms, so the half marks a claim): no other
  daemon takes it meanwhile, and it is due again when the lease ends unless its handler removed it (a retry).
  Returns {lease score, earliest score left or "", member, its due score, member, its due score, ...} in due order.
]]
local upTo = ARGV[4] == 'all' and '+inf' or ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', upTo, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local lease = string.format('%.1f', tonumber(ARGV[1]) + tonumber(ARGV[2]) + 0.5)
local out = { lease, '' }
for i = 1, #due, 2 do
  if ARGV[4] ~= 'all' or tonumber(due[i + 1]) % 1 == 0 then
    redis.call('ZADD', KEYS[1], lease, due[i])
    out[#out + 1] = due[i]
    out[#out + 1] = due[i + 1]
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then out[2] = first[2] end
return out

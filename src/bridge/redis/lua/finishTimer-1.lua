--[[
  Ends one claim of a timer (see claimTimers), only if the member still has the claim's score: a commit that
  requested the same timer again meanwhile, or another daemon's later claim, wins. KEYS[1] the timer set.
  ARGV[1] member, ARGV[2] the claim's lease score, ARGV[3] "done" (remove it) or "move": replace it by ARGV[5]
  due at ARGV[4] (a connection timer moving itself on, or a retry put off).
  Returns 1 when done, 0 when the claim was no longer the member's.
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[3] == 'move' then redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5]) end
return 1

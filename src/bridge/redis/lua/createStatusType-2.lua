--[[
  Creates a status type when neither its id nor its (case-folded) name is taken.
  KEYS[1] status types hash (id -> json)
  KEYS[2] names hash (folded name -> id)
  ARGV[1] id, ARGV[2] folded name, ARGV[3] json
  Returns 1 created, -1 id taken, -2 name taken
]]
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -1 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1

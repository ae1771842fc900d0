--[[
  Appends one event that is not a state change to a partition stream and its id to the index that lets an agent's
  SSE resume skip the rest of the partition (see commitUser), then wakes the readers.
  KEYS[1] partition event stream   KEYS[2] index zset (the user's, or partition 0's catalog index)
  ARGV[1] type  ARGV[2] user id ('' none)  ARGV[3] data json  ARGV[4] stream max length
  ARGV[5] wake-up channel  ARGV[6] partition number
  Returns the stream id.
]]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1], 'user', ARGV[2], 'data', ARGV[3])
redis.call('ZADD', KEYS[2], string.match(id, '^(%d+)'), id)
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.match(oldest, '^(%d+)'))
redis.call('PUBLISH', ARGV[5], ARGV[6])
return id

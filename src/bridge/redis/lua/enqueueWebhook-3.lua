--[[
  Queues one delivery for one webhook endpoint, once: the outbox entry it comes from may be handled twice (a
  crash between this script and the dispatcher's XACK), so an existing record of the same delivery id wins.
  Keeps the newest `keep` records; older ones are dropped from the index and the hash (their queue entries, if
  still waiting, carry everything the deliverer needs).
  KEYS[1] endpoint queue (stream)   KEYS[2] delivery records (hash)   KEYS[3] record index (zset, ms)
  ARGV[1] delivery id   ARGV[2] record JSON   ARGV[3] score (ms)   ARGV[4] keep
  ARGV[5] request body   ARGV[6] event time (ms)
  The caller publishes the wake-up (once per burst, not per delivery).
  Returns 1 queued, 0 already queued before.
]]
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'body', ARGV[5], 'at', ARGV[6])
local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[3], 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, extra - 1)
  redis.call('HDEL', KEYS[2], unpack(old))
end
return 1

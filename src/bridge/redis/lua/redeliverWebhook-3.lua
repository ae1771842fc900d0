--[[
  Queues a finished delivery again (POST .../redeliver), only if its record is still the one the caller read
  (compare-and-set on the JSON text), so a concurrent redelivery or attempt cannot be overwritten.
  KEYS[1] endpoint queue   KEYS[2] delivery records   KEYS[3] record index
  ARGV[1] delivery id   ARGV[2] record JSON as read   ARGV[3] new record JSON   ARGV[4] score (ms)
  ARGV[5] wake-up channel   ARGV[6] endpoint id   ARGV[7] request body   ARGV[8] event time (ms)
  Returns 1 queued, 0 the record changed meanwhile, -1 no such record.
]]
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'body', ARGV[7], 'at', ARGV[8])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1

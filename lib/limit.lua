-- rampart limiter: check every limit that applies to one message and, in
-- charge mode, charge all of them, in one atomic step (all or none).
--
-- KEYS[i]   counter hash of limit i; fields: messages, recipients, tempfailed
-- ARGV[1]   "check" (at RCPT: nothing is charged) or "charge" (end of message)
-- ARGV[2]   messages this step adds (1)
-- ARGV[3]   recipients this step adds
-- then 5 values per limit i:
--   window_start, window_end   UTC seconds of the window KEYS[i] counts
--   expire_at                  UTC seconds at which KEYS[i] expires
--   unit                       "m" (messages) or "r" (recipients)
--   cap                        inclusive: a cap of 10 admits the 10th unit
--
-- Returns one of
--   {"ok", sec, usec, used_1, ..., used_n}   counts after this step
--   {"over", sec, usec, i, used_i, cap_i}    limit i has no room
--   {"clock", sec, usec}                     the Redis clock is outside a window
-- where sec and usec are the Redis server's TIME, the clock of every host.

local mode = ARGV[1]
local messages = tonumber(ARGV[2])
local recipients = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1])
local n = #KEYS
local used = {}

local function arg(i, k)
  return ARGV[3 + (i - 1) * 5 + k]
end

local function touch(key, expire_at)
  if redis.call('EXISTS', key) == 0 then
    return function() redis.call('EXPIREAT', key, expire_at) end
  end
  return function() end
end

for i = 1, n do
  if now < tonumber(arg(i, 1)) or now >= tonumber(arg(i, 2)) then
    return {'clock', time[1], time[2]}
  end
end

for i = 1, n do
  local field = 'recipients'
  local amount = recipients
  if arg(i, 4) == 'm' then
    field = 'messages'
    amount = messages
  end
  local cap = tonumber(arg(i, 5))
  local raw = redis.call('HGET', KEYS[i], field)
  local current = tonumber(raw or '0')
  if current == nil then
    return redis.error_reply('rampart: ' .. KEYS[i] .. ' field ' .. field ..
                             ' holds "' .. tostring(raw) ..
                             '", not an integer; fix or delete the field')
  end
  if current + amount > cap then
    -- Count the recipients refused: one at RCPT, all of them at the end.
    local refused = 1
    if mode == 'charge' then
      refused = recipients
    end
    local set_ttl = touch(KEYS[i], arg(i, 3))
    redis.call('HINCRBY', KEYS[i], 'tempfailed', refused)
    set_ttl()
    return {'over', time[1], time[2], i, current, cap}
  end
  used[i] = current
end

if mode == 'charge' then
  local charged = {}
  for i = 1, n do
    local key = KEYS[i]
    if not charged[key] then
      charged[key] = true
      local set_ttl = touch(key, arg(i, 3))
      redis.call('HINCRBY', key, 'messages', messages)
      redis.call('HINCRBY', key, 'recipients', recipients)
      set_ttl()
    end
    if arg(i, 4) == 'm' then
      used[i] = used[i] + messages
    else
      used[i] = used[i] + recipients
    end
  end
end

return {'ok', time[1], time[2], unpack(used)}

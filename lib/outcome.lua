-- rampart outcome script: add delivery outcomes of one source (and one
-- provider) on one day, in one atomic step.
--
-- KEYS[1]  the source's day counter      PREFIX:{SOURCE}:day:DATE
-- KEYS[2]  the ramp state the outcome judges: the source's, or the
--          provider ramp's when the outcome names a provider ramp
-- KEYS[3]  the log list of that ramp state
-- KEYS[4]  the provider's day counter, or "" (no provider)
-- KEYS[5]  the event id key, or "" (no duplicate check)
-- ARGV: field count expire_at on_block pause_until event_expire_at date
--       reason history pause_until_text
--   field        delivered, deferred, bounced, complained or blocked
--   on_block     step_down, hold or pause: what a block signal does
--   pause_until  UTC seconds a block pause lasts to; 0: until resumed
--
-- Returns {"ok", count_after} or {"duplicate", 0}.

local field, count, expire_at = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local on_block, pause_until = ARGV[4], ARGV[5]
local event_expire_at, date, reason = ARGV[6], ARGV[7], ARGV[8]

if KEYS[5] ~= '' then
  if not redis.call('SET', KEYS[5], '1', 'NX') then
    return {'duplicate', 0}
  end
  redis.call('EXPIREAT', KEYS[5], event_expire_at)
end

local function add(key)
  local fresh = redis.call('EXISTS', key) == 0
  local after = redis.call('HINCRBY', key, field, count)
  if fresh then
    redis.call('EXPIREAT', key, expire_at)
  end
  return after
end

local after = add(KEYS[1])
if KEYS[4] ~= '' then
  add(KEYS[4])
end

if field == 'blocked' then
  -- The next sending day steps down or holds; a pause acts at once.
  redis.call('HINCRBY', KEYS[2], 'block_pending', count)
  local entry = date .. ' block signal'
  if reason ~= '' then
    entry = entry .. ' (' .. reason .. ')'
  end
  if on_block == 'pause' then
    redis.call('HSET', KEYS[2], 'paused', '1', 'paused_reason',
               'block signal' .. (reason ~= '' and ': ' .. reason or ''),
               'paused_until', pause_until)
    entry = entry .. ': paused'
    if tonumber(pause_until) > 0 then
      entry = entry .. ' until ' .. ARGV[10]
    end
  end
  redis.call('LPUSH', KEYS[3], entry)
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[9]) - 1)
end

return {'ok', after}

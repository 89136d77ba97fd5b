-- rampart admin script: change one ramp state and log why, atomically.
--
-- KEYS[1]  the ramp state hash    PREFIX:{SOURCE}:ramp[:PROVIDER]
-- KEYS[2]  its log list
-- ARGV[1]  operation; ARGV[2] date for the log; ARGV[3] log length kept;
-- ARGV[4]  who or why, for the log; then the operation's values:
--   enroll   schedule start step    (replaces schedule, start and step)
--   forget                          (deletes the state and its log)
--   pause    reason until until_text  (until: UTC seconds, 0 = until resume)
--   resume
--   hold     reason until until_text  (the step does not advance)
--   release
--   override cap date               (cap "" clears the override)
--   step     step schedule start    (schedule and start fill a new state)
--
-- Returns {"ok", previous_step_or_empty}.

local op, date, history, note = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local state, log = KEYS[1], KEYS[2]
local previous = redis.call('HGET', state, 'step') or ''
local entry

if op == 'enroll' then
  redis.call('HSET', state, 'schedule', ARGV[5], 'start', ARGV[6],
             'step', ARGV[7])
  -- The next decision starts a new sending day and recomputes the cap.
  redis.call('HDEL', state, 'day', 'cap', 'spec')
  entry = 'enroll schedule=' .. (ARGV[5] ~= '' and ARGV[5] or 'fixed') ..
          ' start=' .. ARGV[6] .. ' step=' .. ARGV[7]
elseif op == 'forget' then
  redis.call('DEL', state, log)
  return {'ok', previous}
elseif op == 'pause' or op == 'hold' then
  local flag = op == 'pause' and 'paused' or 'held'
  redis.call('HSET', state, flag, '1', flag .. '_reason', ARGV[5],
             flag .. '_until', ARGV[6])
  entry = op .. ': ' .. ARGV[5]
  if tonumber(ARGV[6]) > 0 then
    entry = entry .. ' (until ' .. ARGV[7] .. ')'
  end
elseif op == 'resume' or op == 'release' then
  local flag = op == 'resume' and 'paused' or 'held'
  redis.call('HDEL', state, flag, flag .. '_reason', flag .. '_until')
  entry = op
elseif op == 'override' then
  if ARGV[5] == '' then
    redis.call('HDEL', state, 'override_cap', 'override_day')
    entry = 'override cleared'
  else
    redis.call('HSET', state, 'override_cap', ARGV[5], 'override_day',
               ARGV[6])
    entry = 'override cap ' .. ARGV[5] .. ' for ' .. ARGV[6]
  end
elseif op == 'step' then
  if redis.call('HEXISTS', state, 'start') == 0 then
    redis.call('HSET', state, 'schedule', ARGV[6], 'start', ARGV[7])
  end
  -- An empty spec makes the next decision today recompute the cap; the
  -- cap stays until then, to judge today's use at the next new day.
  redis.call('HSET', state, 'step', ARGV[5], 'spec', '')
  entry = 'step ' .. previous .. '->' .. ARGV[5]
else
  return redis.error_reply('rampart: unknown admin operation "' .. op .. '"')
end

if note ~= '' then
  entry = entry .. ' [' .. note .. ']'
end
redis.call('LPUSH', log, date .. ' ' .. entry)
redis.call('LTRIM', log, 0, history - 1)
return {'ok', previous}

-- rampart decision script, one atomic step.  It first moves the ramp of a
-- source (and of its provider ramps) to a new sending day when needed.  It
-- then checks every limit that applies to a message and, in charge mode,
-- charges all of them or none.
--
-- Redis TIME (plus a clock offset that only test builds pass) is the clock
-- of every host.  Values are read from ARGV in order; see rampart.conf(5)
-- for the key layout.
--
--   mode                "check" (at RCPT, charges nothing), "charge" (end of
--                       message) or "explain" (like check, writes nothing)
--   clock_offset        seconds added to Redis TIME
--   today               local date "YYYY-MM-DD" the C side computed
--   day_start, day_end  UTC seconds of that day
--   ramp: "-", or "ramp" state_key log_key day_prefix start initial_step
--         schedule spec unit_field min_use max_bounce max_complaint on_block
--         block_step history
--   provider ramps: count, then per ramp: name share
--   limits: count (= #KEYS), then per limit i (counter hash KEYS[i]):
--         window_start window_end expire_at unit cap_kind cap_value
--         messages recipients
--         where cap_kind is "n" (cap_value is the cap), "ip" (cap_value is
--         a share of the source's cap today) or "provider" (cap_value is
--         the index of a provider ramp); limit 1 is the source's day
--         counter, which also counts every refused recipient
--   pacing: "-" or "pace" key open close next_open burst units expire_at
--
-- Replies, with sec/usec the clock used:
--   {"ok", sec, usec, step, cap, used_1, ..., used_n, cap_1, ..., cap_n}
--   {"over", sec, usec, what, index, used, cap, retry_at, step, detail,
--    source_cap}
--       what: "start" (detail: start date), "paused" (detail: reason,
--       retry_at: end of the pause or 0, index: the provider ramp, from 1,
--       or 0 for the source), "window" (send hours closed),
--       "limit" (limit index has no room), "pace" (retry_at: when the
--       pacing rate has room again)
--   {"clock", sec, usec}                 Redis time is outside "today"
--   {"schedule", sec, usec, name}        the ramp state names another
--                                        schedule: send its spec

local pos = 0
local function take()
  pos = pos + 1
  return ARGV[pos]
end
local function take_number()
  return tonumber(take())
end

local mode = take()
local writes = mode ~= 'explain'
local time = redis.call('TIME')
local now = tonumber(time[1]) + take_number()
local sec = tostring(now)
local usec = time[2]
local today = take()
local day_start = take_number()
local day_end = take_number()

if now < day_start or now >= day_end then
  return {'clock', sec, usec}
end

local function write(...)
  if writes then
    return redis.call(...)
  end
end

-- Set the TTL of a key in the same step that creates it.
local function ttl_setter(key, expire_at)
  if redis.call('EXISTS', key) == 0 then
    return function() write('EXPIREAT', key, expire_at) end
  end
  return function() end
end

-- Caps of a schedule spec: "fixed:N", "flat:N", "daily:a,b,c",
-- "weekly:a,b,c:add:target", "doubling:start:factor:every:target".
local function numbers(list)
  local t = {}
  for n in string.gmatch(list, '[^,]+') do
    t[#t + 1] = tonumber(n)
  end
  return t
end

local function cap_of(spec, step)
  local kind, a, b, c, d =
    string.match(spec, '^(%a+):([^:]*):?([^:]*):?([^:]*):?([^:]*)$')
  if kind == 'fixed' then
    return tonumber(a)
  end
  if step < 1 then
    return 0
  end
  if kind == 'flat' then
    return tonumber(a)
  elseif kind == 'daily' then
    local t = numbers(a)
    return t[math.min(step, #t)]
  elseif kind == 'weekly' then
    local t = numbers(a)
    local target = tonumber(c)
    local week = math.floor((step - 1) / 7) + 1
    local cap
    if week <= #t then
      cap = t[week]
    else
      cap = t[#t] + (week - #t) * tonumber(b)
    end
    if target > 0 and cap > target then
      cap = target
    end
    return cap
  elseif kind == 'doubling' then
    local target = tonumber(d)
    local steps = math.floor((step - 1) / tonumber(c))
    local cap = math.floor(tonumber(a) * tonumber(b) ^ steps)
    if cap > target then
      cap = target
    end
    return cap
  end
  return redis.error_reply('rampart: invalid schedule spec "' .. spec .. '"')
end

-- ---------------------------------------------------------------------------
-- Ramp state

-- The ramp section is "-" when no limit needs the source's ramp (only
-- fixed domain limits of rampart-policyd): the state is then not read.
local ramp = nil
if take() == 'ramp' then
  ramp = {
    state_key = take(), log_key = take(), day_prefix = take(),
    start = take(), initial_step = take_number(), schedule = take(),
    spec = take(), unit_field = take(),
    min_use = take_number(), max_bounce = take_number(),
    max_complaint = take_number(), on_block = take(),
    block_step = take_number(), history = take_number()
  }
end

local FIELDS = {'schedule', 'start', 'step', 'day', 'cap', 'spec',
                'paused', 'paused_reason', 'paused_until',
                'held', 'held_reason', 'held_until',
                'override_cap', 'override_day', 'block_pending'}

local function load_state(key)
  local values = redis.call('HMGET', key, unpack(FIELDS))
  local st = {}
  for i, f in ipairs(FIELDS) do
    st[f] = values[i]
  end
  return st
end

local function save_state(key, st, fields)
  if not writes then
    return
  end
  local args = {}
  for _, f in ipairs(fields) do
    args[#args + 1] = f
    args[#args + 1] = tostring(st[f])
  end
  redis.call('HSET', key, unpack(args))
end

local function add_log(log_key, entry)
  write('LPUSH', log_key, entry)
  write('LTRIM', log_key, 0, ramp.history - 1)
end

-- Clear a pause or hold whose end has passed.
local function expire_flags(key, log_key, st)
  for _, flag in ipairs({'paused', 'held'}) do
    local until_at = tonumber(st[flag .. '_until'])
    if st[flag] == '1' and until_at and until_at > 0 and now >= until_at then
      st[flag] = false
      write('HDEL', key, flag, flag .. '_reason', flag .. '_until')
      add_log(log_key, today .. ' ' .. flag .. ' ended')
    end
  end
end

-- floor(share * cap), without 0.29 * 100 = 28.999999999999996 losing a unit.
local function share_of(share, cap)
  return math.floor(share * cap + 1e-9)
end

local function percent(part, whole)
  if whole <= 0 then
    return 0
  end
  return 100 * part / whole
end

-- Judge the last sending day and move the step: advance, hold, idle or
-- step down.  Returns the new step and the reason text.
local function judge(st, suffix, share)
  local step = tonumber(st.step)
  local day = st.day
  local c = redis.call('HMGET', ramp.day_prefix .. day .. suffix,
                       ramp.unit_field, 'delivered', 'bounced', 'complained')
  local used = tonumber(c[1]) or 0
  local delivered = tonumber(c[2]) or 0
  local bounced = tonumber(c[3]) or 0
  local complained = tonumber(c[4]) or 0
  local cap = share_of(share, tonumber(st.cap) or 0)
  local blocks = tonumber(st.block_pending) or 0
  local bounce_rate = percent(bounced, delivered + bounced)
  local complaint_rate = percent(complained, delivered)
  if delivered == 0 and complained > 0 then
    complaint_rate = 100
  end
  local facts = string.format(
    '%s used %d of %d (%.1f%%), bounces %.2f%%, complaints %.3f%%',
    day, used, cap, percent(used, cap), bounce_rate, complaint_rate)

  if string.match(st.spec or '', '^fixed:') then
    return step, 'fixed cap: ' .. facts
  end
  if blocks > 0 then
    if ramp.on_block == 'step_down' and step > 1 then
      local down = math.max(1, step - ramp.block_step)
      return down, string.format('step down %d->%d: %d block signal(s); %s',
                                 step, down, blocks, facts)
    end
    return step, string.format('hold at %d: %d block signal(s); %s', step,
                               blocks, facts)
  end
  if st.held == '1' then
    return step, string.format('hold at %d: held (%s); %s', step,
                               st.held_reason or 'no reason given', facts)
  end
  if used == 0 then
    return step, string.format('idle at %d: %s', step, facts)
  end
  if used < ramp.min_use * cap then
    return step, string.format('hold at %d: use below %.0f%%; %s', step,
                               100 * ramp.min_use, facts)
  end
  -- "Under" the maximum; a day without any passes even a maximum of 0.
  if bounce_rate > 0 and bounce_rate >= 100 * ramp.max_bounce then
    return step, string.format('hold at %d: bounce rate not under %.2f%%; %s',
                               step, 100 * ramp.max_bounce, facts)
  end
  if complaint_rate > 0 and complaint_rate >= 100 * ramp.max_complaint then
    return step, string.format(
      'hold at %d: complaint rate not under %.3f%%; %s', step,
      100 * ramp.max_complaint, facts)
  end
  return step + 1, string.format('advance %d->%d: %s', step, step + 1, facts)
end

-- Bring one ramp state to today: create it, expire flags, judge the last
-- sending day when today is a new one, follow schedule edits.
local function prepare(key, log_key, suffix, st, share)
  if st.step and not tonumber(st.step) then
    error('rampart: ' .. key .. ' field step holds "' .. tostring(st.step) ..
          '", not an integer; fix it with rampartctl set-step')
  end
  if not st.step then
    st.schedule = ramp.schedule
    st.start = ramp.start
    st.step = ramp.initial_step
    st.day = ''
    st.spec = ramp.spec
    st.cap = cap_of(ramp.spec, ramp.initial_step)
    -- A pause or a block signal recorded before the first decision stays.
    save_state(key, st, {'schedule', 'start', 'step', 'day', 'spec', 'cap'})
  end
  if not st.day then
    st.day = '' -- an enrolment starts a new sending day
  end
  if not st.start then
    st.start = ramp.start -- a state written without one takes the default
    save_state(key, st, {'start'})
  end
  expire_flags(key, log_key, st)
  if not tonumber(st.cap) then
    st.cap = cap_of(ramp.spec, tonumber(st.step)) -- after an enrolment
    save_state(key, st, {'cap'})
  end
  if today < st.start then
    return st
  end
  if st.day ~= today then
    local step = tonumber(st.step)
    local reason
    if st.day ~= '' then
      step, reason = judge(st, suffix, share)
      add_log(log_key, today .. ' ' .. reason)
      st.last_move = reason
    else
      st.last_move = 'first sending day ' .. today .. ' at step ' .. step
    end
    st.step = step
    st.day = today
    st.spec = ramp.spec
    st.cap = cap_of(ramp.spec, step)
    st.block_pending = 0
    save_state(key, st, {'step', 'day', 'spec', 'cap', 'block_pending',
                         'last_move'})
  elseif st.spec ~= ramp.spec then
    st.spec = ramp.spec
    st.cap = cap_of(ramp.spec, tonumber(st.step))
    save_state(key, st, {'spec', 'cap'})
  end
  return st
end

local function effective_cap(st)
  if st.override_day == today and tonumber(st.override_cap) then
    return tonumber(st.override_cap)
  end
  return tonumber(st.cap)
end

local ip = nil
local step = 0
local ip_cap = 0
if ramp then
  ip = load_state(ramp.state_key)
  if ip.schedule and ip.schedule ~= ramp.schedule then
    return {'schedule', sec, usec, ip.schedule}
  end
  ip = prepare(ramp.state_key, ramp.log_key, '', ip, 1)
  step = tonumber(ip.step)
  ip_cap = effective_cap(ip)

  -- Before its start date a source sends nothing; day 1 starts the ramp.
  if today < ip.start then
    return {'over', sec, usec, 'start', 0, 0, 0, 0, step, ip.start, ip_cap}
  end
end

-- Provider ramps share the source's schedule; each keeps its own step.
local provider_count = take_number()
local providers = {}
for p = 1, provider_count do
  local name = take()
  local share = take_number()
  local key = ramp.state_key .. ':' .. name
  local st = prepare(key, key .. ':log', ':' .. name, load_state(key), share)
  providers[p] = {name = name, state = st,
                  cap = share_of(share, effective_cap(st))}
end

-- ---------------------------------------------------------------------------
-- Limits

local limit_count = take_number()
local limits = {}
for i = 1, limit_count do
  local l = {
    window_start = take_number(), window_end = take_number(),
    expire_at = take(), unit = take(), cap_kind = take(),
    cap_value = take_number(), messages = take_number(),
    recipients = take_number()
  }
  if l.cap_kind == 'ip' then
    l.cap = share_of(l.cap_value, ip_cap)
  elseif l.cap_kind == 'provider' then
    l.cap = providers[l.cap_value].cap
  else
    l.cap = l.cap_value
  end
  if l.unit == 'm' then
    l.field = 'messages'
    l.amount = l.messages
  else
    l.field = 'recipients'
    l.amount = l.recipients
  end
  limits[i] = l
end

local pace = nil
if take() == 'pace' then
  pace = {key = take(), open = take_number(), close = take_number(),
          next_open = take_number(), burst = take_number(),
          units = take_number(), expire_at = take()}
end

-- Count the refused recipients on the source's day counter (limit 1) and
-- on the counter of the limit that refused, so ops see every deferral.
local function refuse(what, index, used, cap, retry_at, detail)
  local refused = 0
  if limits[1] then
    refused = limits[1].recipients
  end
  if mode == 'check' then
    refused = math.min(refused, 1)
  end
  for i, l in ipairs(limits) do
    if i == 1 or (what == 'limit' and i == index) then
      local set_ttl = ttl_setter(KEYS[i], l.expire_at)
      write('HINCRBY', KEYS[i], 'tempfailed', refused)
      set_ttl()
    end
  end
  return {'over', sec, usec, what, index, used, cap, retry_at, step,
          detail or '', ip_cap}
end

if ip and ip.paused == '1' then
  return refuse('paused', 0, 0, 0, tonumber(ip.paused_until) or 0,
                ip.paused_reason or '')
end
for p, prov in ipairs(providers) do
  if prov.state.paused == '1' then
    return refuse('paused', p, 0, 0, tonumber(prov.state.paused_until) or 0,
                  prov.name .. ': ' .. (prov.state.paused_reason or ''))
  end
end
if pace and (now < pace.open or now >= pace.close) then
  return refuse('window', 0, 0, 0, pace.next_open, '')
end

local used = {}
for i, l in ipairs(limits) do
  if now < l.window_start or now >= l.window_end then
    return {'clock', sec, usec}
  end
  local raw = redis.call('HGET', KEYS[i], l.field)
  local current = tonumber(raw or '0')
  if current == nil then
    return redis.error_reply('rampart: ' .. KEYS[i] .. ' field ' .. l.field ..
                             ' holds "' .. tostring(raw) ..
                             '", not an integer; fix or delete the field')
  end
  if current + l.amount > l.cap then
    return refuse('limit', i, current, l.cap, 0, '')
  end
  used[i] = current
end

-- GCRA: the day's cap spread evenly over the send window, with "burst"
-- units of tolerance.  TAT is the theoretical arrival time of the next unit.
local new_tat = nil
if pace and pace.units > 0 and ip_cap > 0 then
  local interval = (pace.close - pace.open) / ip_cap
  local burst = pace.burst
  if burst <= 0 then
    burst = math.max(20, math.floor(ip_cap / 100))
  end
  local tat = tonumber(redis.call('GET', pace.key)) or 0
  if tat < now then
    tat = now
  end
  new_tat = tat + pace.units * interval
  local allowed_at = new_tat - burst * interval
  if allowed_at > now then
    return refuse('pace', 0, 0, ip_cap, math.ceil(allowed_at), '')
  end
end

if mode == 'charge' then
  local charged = {}
  for i, l in ipairs(limits) do
    local key = KEYS[i]
    if not charged[key] then
      charged[key] = true
      local set_ttl = ttl_setter(key, l.expire_at)
      write('HINCRBY', key, 'messages', l.messages)
      write('HINCRBY', key, 'recipients', l.recipients)
      set_ttl()
    end
    used[i] = used[i] + l.amount
  end
  if new_tat then
    write('SET', pace.key, string.format('%.3f', new_tat))
    write('EXPIREAT', pace.key, pace.expire_at)
  end
end

local reply = {'ok', sec, usec, step, ip_cap}
for i = 1, limit_count do
  reply[#reply + 1] = used[i]
end
for i = 1, limit_count do
  reply[#reply + 1] = limits[i].cap
end
return reply

-- miltertest(8) scenarios for test_12_miltertest.sh, with no MTA.
--
-- Run: miltertest -s protocol_edges.lua -D socket=PATH -D scenario=NAME
-- Each scenario talks to the running rampart-milter on the unix socket
-- PATH and raises an error naming the first reply that differs; the shell
-- test then checks the Redis counters.  The milter is configured with a
-- daemon_addr route for 127.0.0.1, sender_domain routes for
-- bücher.example and full.example (cap 2), and a catch-all route.

local function check(condition, message)
  if not condition then
    error(scenario .. ": " .. message, 2)
  end
end

local function expect_reply(conn, want, step)
  local got = mt.getreply(conn)
  check(got == want, string.format("%s: reply %q, want %q", step,
                                   string.char(got), string.char(want)))
end

local function open(daemon_addr, ip)
  local conn = mt.connect("unix:" .. socket, 20, 0.1)
  check(conn ~= nil, "cannot connect to " .. socket)
  if daemon_addr ~= nil then
    mt.macro(conn, SMFIC_CONNECT, "{daemon_addr}", daemon_addr)
  end
  check(mt.conninfo(conn, "client.example", ip or "127.0.0.1") == nil,
        "conninfo failed")
  expect_reply(conn, SMFIR_CONTINUE, "connect")
  return conn
end

local function mail(conn, queue_id, sender)
  if queue_id ~= nil then
    mt.macro(conn, SMFIC_MAIL, "i", queue_id)
  end
  check(mt.mailfrom(conn, sender) == nil, "MAIL " .. sender .. " failed")
  expect_reply(conn, SMFIR_CONTINUE, "MAIL " .. sender)
end

local function rcpt(conn, recipient, want)
  check(mt.rcptto(conn, recipient) == nil, "RCPT " .. recipient .. " failed")
  expect_reply(conn, want or SMFIR_CONTINUE, "RCPT " .. recipient)
end

-- End of message: accepted, with the source header set to "source".
local function eom(conn, source)
  check(mt.eom(conn) == nil, "EOM failed")
  expect_reply(conn, SMFIR_CONTINUE, "EOM")
  check(mt.eom_check(conn, MT_HDRADD, "X-Rampart-Source", source),
        "EOM added no header X-Rampart-Source: " .. source .. "; got " ..
        tostring(mt.getheader(conn, "X-Rampart-Source", 0)))
end

local scenarios = {}

-- 40 messages of 2 recipients each on one milter connection.
function scenarios.many()
  local conn = open("127.0.0.1")
  for i = 1, 40 do
    mail(conn, string.format("MANY%04d", i), "<sender@shop.example>")
    rcpt(conn, string.format("<m%da@example.net>", i))
    rcpt(conn, string.format("<m%db@example.net>", i))
    eom(conn, "127.0.0.11")
  end
  mt.disconnect(conn)
end

-- ABORT after three recipients, then one message with one recipient on
-- the same connection, then an ABORT right after MAIL.
function scenarios.abort()
  local conn = open("127.0.0.1")
  mail(conn, "ABORT1", "<sender@shop.example>")
  for i = 1, 3 do
    rcpt(conn, string.format("<aborted%d@example.net>", i))
  end
  check(mt.abort(conn) == nil, "ABORT failed")
  mail(conn, "ABORT2", "<sender@shop.example>")
  rcpt(conn, "<kept@example.net>")
  eom(conn, "127.0.0.11")
  mail(conn, "ABORT3", "<sender@shop.example>")
  check(mt.abort(conn) == nil, "ABORT failed")
  mt.disconnect(conn)
end

-- The null sender and senders without a usable domain match no
-- sender_domain route; with no {daemon_addr} they take the catch-all.
function scenarios.senders()
  local conn = open(nil)
  local senders = {"<>", "", "<no-at-sign>", "<user@bad..example>",
                   "<user@>", "<user@full .example>"}
  for i, sender in ipairs(senders) do
    mail(conn, string.format("SENDER%d", i), sender)
    rcpt(conn, string.format("<s%d@example.net>", i))
    eom(conn, "127.0.0.14")
  end
  mt.disconnect(conn)
end

-- An IDN sender domain routes to the bücher.example source, and the
-- Unicode and ACE spellings of one recipient count once.
function scenarios.idn()
  local conn = open("127.0.0.1")
  mail(conn, "IDN1", "<news@BÜCHER.example>")
  rcpt(conn, "<user@bücher.example>")
  rcpt(conn, "<USER@xn--bcher-kva.example>")
  rcpt(conn, "<user@BÜCHER.EXAMPLE>")
  rcpt(conn, "<other@xn--bcher-kva.example>")
  eom(conn, "127.0.0.12")
  mt.disconnect(conn)
end

-- No macros at all (no {daemon_addr}, no queue id) and a client of an
-- unknown address family: catch-all route, logged as NOQUEUE.
function scenarios.no_macros()
  local conn = open(nil, "unspec")
  mail(conn, nil, "<sender@shop.example>")
  rcpt(conn, "<nomacro@example.net>")
  eom(conn, "127.0.0.14")
  mt.disconnect(conn)
end

-- The full.example source has a cap of 2: the third RCPT is deferred
-- with a reply code and the message is charged for two.
function scenarios.over_cap()
  local conn = open("127.0.0.1")
  mail(conn, "FULL1", "<sender@full.example>")
  rcpt(conn, "<f1@example.net>")
  rcpt(conn, "<f2@example.net>")
  rcpt(conn, "<f3@example.net>", SMFIR_REPLYCODE)
  eom(conn, "127.0.0.13")
  mail(conn, "FULL2", "<sender@full.example>")
  rcpt(conn, "<f4@example.net>", SMFIR_REPLYCODE)
  check(mt.abort(conn) == nil, "ABORT failed")
  mt.disconnect(conn)
end

-- One ordinary message, to show that the milter still serves.
function scenarios.serve()
  local conn = open("127.0.0.1")
  mail(conn, "SERVE" .. (serial or "0"), "<sender@shop.example>")
  rcpt(conn, "<served@example.net>")
  eom(conn, "127.0.0.11")
  mt.disconnect(conn)
end

local run = scenarios[scenario or ""]
if run == nil then
  error("unknown scenario " .. tostring(scenario))
end
run()
mt.echo(scenario .. ": ok")

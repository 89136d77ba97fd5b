#!/bin/bash
# Redis failures.  Two milters share one Redis: "strict" has
# on_store_error = "tempfail" and "lenient" has "accept".  Postfix has a
# listener for each.  With Redis stopped, strict defers a RCPT with
# 451 4.3.0 within timeout_ms + 150 ms and lenient lets the message
# through.  With Redis frozen by SIGSTOP, strict's deferral comes from the
# timeout, so it takes at least timeout_ms - 20 ms.  After a Redis restart
# and after SIGCONT, messages are counted again by the same milters.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

TIMEOUT_MS=250
MAX_REPLY_MS=$((TIMEOUT_MS + 150))
STRICT_PORT=$(t_port 3)
LENIENT_PORT=$(t_port 4)
SOURCE=127.0.0.11
STORE_DEFERRAL="451 4.3.0 rampart: send quota store unavailable, retry later"

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
for mode in strict:tempfail lenient:accept; do
    t_conf "${mode%%:*}" <<CONF
on_store_error = "${mode#*:}";
sources = ( { address = "$SOURCE"; daily_cap = 100; } );
routes = ( { source = "$SOURCE"; } );
CONF
done
grep -q "timeout_ms = $TIMEOUT_MS;" "$LB_DIR/strict.conf" ||
    lb_die "t_conf no longer writes timeout_ms = $TIMEOUT_MS"
t_start_milter strict
t_start_milter lenient
t_postfix_init mta strict
lb_postfix_listen mta "127.0.0.1:$STRICT_PORT" -o "smtpd_milters=unix:$(t_milter_socket strict)"
lb_postfix_listen mta "127.0.0.1:$LENIENT_PORT" -o "smtpd_milters=unix:$(t_milter_socket lenient)"
lb_postfix_start mta
strict_pid=${T_MILTER_PIDS[strict]}

# send_message PORT ID: one message with one recipient; prints the replies.
send_message() {
    t_smtp 127.0.0.1 "$1" mail:sender@shop.example "rcpt:$2@example.net" "data:$2@rampart.test"
}

# expect_store_deferral CASE PORT MIN_MS: a RCPT gets 451 4.3.0 in at
# least MIN_MS and at most MAX_REPLY_MS milliseconds.
expect_store_deferral() {
    local out ms
    out=$(t_smtp 127.0.0.1 "$2" mail:sender@shop.example "rcpt:$1@example.net" rset)
    t_expect_eq "reply to RCPT ($1)" "$(t_reply "$out" "rcpt:$1@example.net")" "$STORE_DEFERRAL"
    ms=$(t_reply_ms "$out" "rcpt:$1@example.net")
    t_expect_le "milliseconds from RCPT to its reply ($1)" "${ms:-99999}" "$MAX_REPLY_MS"
    t_expect_ge "milliseconds from RCPT to its reply ($1)" "${ms:-0}" "$3"
}

# --- Redis up: counted ---------------------------------------------------------
out=$(send_message "$STRICT_PORT" before-stop)
t_expect_reply "$out" data:before-stop@rampart.test "250 "
t_expect_counters "$SOURCE" 1 1 0

# --- Redis stopped ---------------------------------------------------------------
lb_stop_redis
expect_store_deferral stopped-strict "$STRICT_PORT" 0
out=$(send_message "$LENIENT_PORT" stopped-lenient)
t_expect_reply "$out" rcpt:stopped-lenient@example.net "250 "
t_expect_reply "$out" data:stopped-lenient@rampart.test "250 "

# --- Redis restarted (empty: it keeps no data) -------------------------------------
lb_start_redis "$(t_port 1)"
for id in restarted-1 restarted-2; do
    out=$(send_message "$STRICT_PORT" "$id")
    t_expect_reply "$out" "data:$id@rampart.test" "250 "
done
t_expect_counters "$SOURCE" 2 2 0
t_expect_eq "strict milter's pid after the Redis restart" "${T_MILTER_PIDS[strict]}" "$strict_pid"

# --- Redis frozen ----------------------------------------------------------------
# The first RCPT uses a pooled connection, the second a new one that the
# kernel accepts for the stopped server: both must time out.
redis_pid=$(cat "$LB_DIR/redis/redis.pid")
kill -STOP "$redis_pid"
expect_store_deferral frozen-pooled "$STRICT_PORT" $((TIMEOUT_MS - 20))
expect_store_deferral frozen-new "$STRICT_PORT" $((TIMEOUT_MS - 20))
kill -CONT "$redis_pid"
out=$(send_message "$STRICT_PORT" thawed)
t_expect_reply "$out" data:thawed@rampart.test "250 "
t_expect_counters "$SOURCE" 3 3 0

# --- what Postfix and smtp-sink saw ------------------------------------------------
t_drain mta
for id in before-stop stopped-lenient restarted-1 restarted-2 thawed; do
    t_expect_eq "recipients smtp-sink received of message $id" "$(t_sink_rcpts_of "$id@rampart.test")" 1
done
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" 5
t_expect_eq "Postfix milter-reject lines with 451 4.3.0" \
    "$(grep -cF "milter-reject: RCPT from unknown[127.0.0.1]: $STORE_DEFERRAL" "$(t_maillog mta)" || true)" 3
# Redis errors themselves are logged at most once a minute, so count the
# decisions.
t_expect_eq "strict milter's tempfail decisions" \
    "$(grep -c 'action=tempfail stage=rcpt .*reason="store error" on_store_error=tempfail' "$(t_milter_log strict)" || true)" 3
t_expect_match "lenient milter's log of the accepted message" "$(cat "$(t_milter_log lenient)")" \
    'action=accept stage=eom .*reason="store error" on_store_error=accept'

#!/bin/bash
# on_store_error in rampart-policyd.  Two servers share one Redis:
# "strict" has on_store_error = "tempfail" and "lenient" has "accept".
# With Redis stopped, strict replies to RCPT and END-OF-MESSAGE with
# 451 4.3.0 within timeout_ms + 150 ms and lenient with DUNNO.  Both keep
# running while they try to reconnect, and reply to every request of
# bursts sent meanwhile.  With Redis frozen by SIGSTOP, strict's reply
# comes from the deadline of the call: after at least timeout_ms - 20 ms
# and at most timeout_ms + 150 ms.  After Redis is back, both count again.
set -euo pipefail
# shellcheck source=policy_lib.sh
. "$(dirname "$0")/policy_lib.sh"
t_policy_init "$@"

TIMEOUT_MS=250
MAX_REPLY_MS=$((TIMEOUT_MS + 150))
STORE_DEFERRAL="action=451 4.3.0 rampart: send quota store unavailable, retry later"

lb_start_redis "$(t_port 1)"
for mode in strict:tempfail lenient:accept; do
    t_policy_conf "${mode%%:*}" <<CONF
on_store_error = "${mode#*:}";
sources = ( { address = "$T_SOURCE"; daily_cap = 100000; } );
routes = ( { source = "$T_SOURCE"; } );
domain_limits = ( { provider = "*"; per_day = 100; } );
CONF
    grep -q "timeout_ms = $TIMEOUT_MS;" "$LB_DIR/${mode%%:*}.conf" ||
        lb_die "t_policy_conf no longer writes timeout_ms = $TIMEOUT_MS"
done
t_start_policyd strict
t_start_policyd lenient
STRICT=unix:$(t_policy_socket strict)
LENIENT=unix:$(t_policy_socket lenient)

# transaction NAME DOMAIN: one RCPT and its END-OF-MESSAGE.
transaction() {
    t_rcpt "$1" "user@$2"
    t_eom "$1" recipient_count=1
}

# reply_ms OUTPUT N: the milliseconds of the Nth reply.
reply_ms() {
    local ms
    ms=$(sed -n "$2p" <<<"$1" | sed -n 's/.* ms=\([0-9]*\)$/\1/p')
    echo "${ms:-99999}"
}

# --- Redis up: counted --------------------------------------------------------------
out=$(transaction before strict.test | t_policy session "$STRICT")
t_expect_eq "replies with Redis up (strict)" "$(t_count_lines "$out" '^action=DUNNO$')" 2
t_expect_eq "Redis charge before the stop (strict)" "$(t_policy_counter strict.test day)" 1

# --- Redis stopped ----------------------------------------------------------------------
# "midway" got its RCPT allowed before the stop; its END-OF-MESSAGE comes
# after, on a new connection (as Exim asks).
for server in strict lenient; do
    out=$(t_rcpt midway "user@$server.test" | t_policy session "unix:$(t_policy_socket "$server")")
    t_expect_eq "RCPT reply before the stop ($server)" "$(head -n1 <<<"$out")" "action=DUNNO"
done
lb_stop_redis
out=$(t_rcpt stopped user@strict.test | t_policy session "$STRICT" --timing)
t_expect_eq "RCPT reply with Redis stopped (strict)" "$(sed -n 1p <<<"$out" | sed 's/ ms=.*//')" "$STORE_DEFERRAL"
t_expect_le "milliseconds to the RCPT reply with Redis stopped (strict)" "$(reply_ms "$out" 1)" "$MAX_REPLY_MS"
t_log "RCPT reply with Redis stopped after $(reply_ms "$out" 1) ms"
out=$(t_eom midway recipient_count=1 | t_policy session "$STRICT" --timing)
t_expect_eq "END-OF-MESSAGE reply with Redis stopped (strict)" "$(sed -n 1p <<<"$out" | sed 's/ ms=.*//')" "$STORE_DEFERRAL"
t_expect_le "milliseconds to the END-OF-MESSAGE reply with Redis stopped (strict)" "$(reply_ms "$out" 1)" "$MAX_REPLY_MS"
out=$(t_rcpt stopped user@lenient.test | t_policy session "$LENIENT" --timing)
t_expect_eq "RCPT reply with Redis stopped (lenient)" "$(sed -n 1p <<<"$out" | sed 's/ ms=.*//')" "action=DUNNO"
t_expect_le "milliseconds to the RCPT reply with Redis stopped (lenient)" "$(reply_ms "$out" 1)" "$MAX_REPLY_MS"
out=$(t_eom midway recipient_count=1 | t_policy session "$LENIENT")
t_expect_eq "END-OF-MESSAGE reply with Redis stopped (lenient)" "$(head -n1 <<<"$out")" "action=DUNNO"
# Requests keep coming for 4 s, longer than the longest reconnect back-off,
# each on a connection of its own as from Exim, so some wait on a
# connection attempt to Redis that then fails: each gets one answer.
requests=""
for i in $(seq 1 200); do
    requests+=$(t_rcpt "burst-$i" user@strict.test)$'\n\n'
done
sent=0
answered=0
end=$((SECONDS + 4))
while [ "$SECONDS" -lt "$end" ]; do
    out=$(t_policy exim "$STRICT" <<<"$requests")
    sent=$((sent + 200))
    answered=$((answered + $(grep -c -F -x -- "$STORE_DEFERRAL" <<<"$out" || true)))
done
t_log "$sent RCPTs sent while Redis was stopped"
t_expect_eq "store deferrals to RCPTs sent while reconnecting" "$answered" "$sent"
# Redis errors go on for seconds while policyd reconnects: it must live.
sleep 1
t_policyd_running strict || t_fail "strict died while Redis was stopped; see $(t_policy_log strict)"
t_policyd_running lenient || t_fail "lenient died while Redis was stopped; see $(t_policy_log lenient)"
log=$(cat "$(t_policy_log strict)")
t_expect_match "decision line of the store error (strict)" "$log" \
    "NOQUEUE: action=defer stage=rcpt source=$T_SOURCE reason=\"store error\" on_store_error=tempfail instance=stopped"
t_expect_match "decision line of the store error (lenient)" "$(cat "$(t_policy_log lenient)")" \
    "NOQUEUE: action=dunno stage=rcpt source=$T_SOURCE reason=\"store error\" on_store_error=accept instance=stopped"

# --- Redis back: counted again ------------------------------------------------------------
lb_start_redis "$(t_port 1)"
lb_wait_for 10 t_log_count_above "$(t_policy_log strict)" '^rampart-policyd: connected to Redis$' 1 ||
    t_fail "strict did not reconnect to Redis within 10 s"
lb_wait_for 10 t_log_count_above "$(t_policy_log lenient)" '^rampart-policyd: connected to Redis$' 1 ||
    t_fail "lenient did not reconnect to Redis within 10 s"
out=$(transaction after strict.test | t_policy session "$STRICT")
t_expect_eq "replies after the restart (strict)" "$(t_count_lines "$out" '^action=DUNNO$')" 2
out=$(transaction after lenient.test | t_policy session "$LENIENT")
t_expect_eq "replies after the restart (lenient)" "$(t_count_lines "$out" '^action=DUNNO$')" 2
# Redis restarted empty: only the charges after the restart are there.
t_expect_eq "Redis charge after the restart (strict)" "$(t_policy_counter strict.test day)" 1
t_expect_eq "Redis charge after the restart (lenient)" "$(t_policy_counter lenient.test day)" 1

# --- Redis frozen: the deadline of the call -----------------------------------------------
redis_pid=$(cat "$LB_DIR/redis/redis.pid")
kill -STOP "$redis_pid"
out=$(t_rcpt frozen user@strict.test | t_policy session "$STRICT" --timing)
t_expect_eq "RCPT reply with Redis frozen (strict)" "$(sed -n 1p <<<"$out" | sed 's/ ms=.*//')" "$STORE_DEFERRAL"
ms=$(reply_ms "$out" 1)
t_log "RCPT reply with Redis frozen after $ms ms (timeout_ms = $TIMEOUT_MS)"
t_expect_ge "milliseconds to the RCPT reply with Redis frozen (strict)" "$ms" $((TIMEOUT_MS - 20))
t_expect_le "milliseconds to the RCPT reply with Redis frozen (strict)" "$ms" "$MAX_REPLY_MS"
out=$(t_rcpt frozen user@lenient.test | t_policy session "$LENIENT" --timing)
t_expect_eq "RCPT reply with Redis frozen (lenient)" "$(sed -n 1p <<<"$out" | sed 's/ ms=.*//')" "action=DUNNO"
t_expect_le "milliseconds to the RCPT reply with Redis frozen (lenient)" "$(reply_ms "$out" 1)" "$MAX_REPLY_MS"
kill -CONT "$redis_pid"
lb_wait_for 10 t_log_count_above "$(t_policy_log strict)" '^rampart-policyd: connected to Redis$' 2 ||
    t_fail "strict did not reconnect to Redis within 10 s after SIGCONT"
out=$(transaction thawed strict.test | t_policy session "$STRICT")
t_expect_eq "replies after SIGCONT (strict)" "$(t_count_lines "$out" '^action=DUNNO$')" 2
t_expect_eq "Redis charge after SIGCONT (strict)" "$(t_policy_counter strict.test day)" 2

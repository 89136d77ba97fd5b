#!/bin/bash
# Reloads and restarts of the milters leave the ramp state in Redis alone.
# Two rampart-milter processes share one Redis.  On day 2 of the ramp
# (step 2, cap 20) the source has sent 12 recipients.  A reload of both
# milters, a reload with another default step in the configuration, and a
# restart of both each leave the ramp state hash, its log and the day's
# counters as they were.  The next decisions still use step 2 and cap 20:
# 8 more recipients pass and the rest get 451 4.7.1.  Day 3 then advances
# to step 3 as usual.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SOURCE=127.0.0.11
STATE_KEY="rampart:{$SOURCE}:ramp"

t_two_milters 1 10:00 <<CONF
schedules: { ramp: { per_day = [10, 20, 40]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; } );
routes = ( { source = "$SOURCE"; } );
CONF

# snapshot: the ramp state, its log and today's counters, one field a line.
snapshot() {
    redis-cli -p "$LB_REDIS_PORT" --raw hgetall "$STATE_KEY" | paste -d= - - | sort
    echo "log:"
    redis-cli -p "$LB_REDIS_PORT" --raw lrange "$STATE_KEY:log" 0 -1
    echo "counters:"
    redis-cli -p "$LB_REDIS_PORT" --raw hgetall "$(t_day_key "$SOURCE")" | paste -d= - - | sort
}

# expect_unchanged WHAT: the snapshot equals the one taken before WHAT.
expect_unchanged() {
    local now
    now=$(snapshot)
    [ "$now" = "$BEFORE" ] ||
        t_fail "Redis ramp state after $1 differs: $(diff <(echo "$BEFORE") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
}

# --- day 1: the whole cap of 10 -----------------------------------------------
t_offer d1 10 5
t_drain mta
t_expect_eq "day 1: accepted RCPTs" "$(t_rcpt_replies d1 "250 ")" 10
t_expect_eq "rampartctl record" "$(t_ctl record "$SOURCE" delivered "$(t_sink_rcpts_tagged d1)")" recorded

# --- day 2: 12 of 20, then reloads and a restart ------------------------------------
t_move_clock 2 10:00
t_offer d2 12 4
t_drain mta
t_expect_eq "day 2: accepted RCPTs before the restart" "$(t_rcpt_replies d2 "250 ")" 12
t_expect_eq "ramp state step" "$(t_ramp_field "$SOURCE" step)" 2
t_expect_eq "ramp state cap" "$(t_ramp_field "$SOURCE" cap)" 20
BEFORE=$(snapshot)
t_log "ramp state before the reloads: $(tr '\n' ' ' <<<"$BEFORE")"

t_reload_milter milter-a
t_reload_milter milter-b
expect_unchanged "a reload of both milters"

# The state wins over the configuration's default step.
sed -i "s|start = \"$T_TODAY\"; }|start = \"$T_TODAY\"; step = 3; }|" "$LB_DIR/body.conf"
grep -q 'step = 3;' "$LB_DIR/body.conf" || t_fail "body.conf has no step = 3 after the edit"
t_write_clock_confs
t_reload_milter milter-a
t_reload_milter milter-b
expect_unchanged "a reload with step = 3 in the configuration"
t_expect_match "rampartctl status after the reloads" "$(t_ctl status "$SOURCE")" \
    "^$SOURCE +ramp +2 +20 +12 +0 +8 +-$"

pids_before="${T_MILTER_PIDS[milter-a]} ${T_MILTER_PIDS[milter-b]}"
t_stop_milters milter-a milter-b
expect_unchanged "stopping both milters"
t_start_milter milter-a
t_start_milter milter-b
t_expect_no_match "milter pids after the restart" \
    "${T_MILTER_PIDS[milter-a]} ${T_MILTER_PIDS[milter-b]}" "^$pids_before$"
expect_unchanged "a restart of both milters"

# --- day 2 after the restart: still step 2, cap 20 ----------------------------------
t_offer d2-restarted 10 2
t_drain mta
deferral="451 4.7.1 $SOURCE warm-up day 2: daily cap 20 reached, retry after 00:00 UTC"
t_expect_eq "day 2: accepted RCPTs after the restart" "$(t_rcpt_replies d2-restarted "250 ")" 8
t_expect_eq "day 2: RCPTs deferred with \"$deferral\" after the restart" \
    "$(t_rcpt_replies d2-restarted "$deferral")" 2
t_expect_counters "$SOURCE" 7 20 2
t_expect_eq "day 2: recipients at smtp-sink" \
    $(($(t_sink_rcpts_tagged d2) + $(t_sink_rcpts_tagged d2-restarted))) 20
for name in milter-a milter-b; do
    log=$(t_milter_log "$name")
    t_expect_eq "start lines of $name" "$(grep -c 'starting rampart-milter' "$log")" 2
    restart_line=$(grep -n 'starting rampart-milter' "$log" | tail -n 1 | cut -d: -f1)
    t_expect_ge "decisions of $name after the restart at step 2, cap 20" \
        "$(tail -n +"$restart_line" "$log" |
            grep -c "action=accept .* cap=20 step=2 key=$(t_day_key "$SOURCE") " || true)" 1
done
BEFORE=$(sed '/^counters:$/q' <<<"$BEFORE")
now=$(snapshot)
now=$(sed '/^counters:$/q' <<<"$now")
t_expect_eq "ramp state and log after the decisions of the restarted milters" "$now" "$BEFORE"
t_ctl record "$SOURCE" delivered 20 >/dev/null

# --- day 3: the ramp moves on -------------------------------------------------------
t_move_clock 3 10:00
out=$(t_smtp 127.0.0.1 "$(t_port 3)" mail:sender@shop.example rcpt:d3@example.net data:d3@rampart.test)
t_expect_reply "$out" data:d3@rampart.test "250 "
t_drain mta
t_expect_eq "day 3: ramp state step" "$(t_ramp_field "$SOURCE" step)" 3
t_expect_eq "day 3: ramp state cap" "$(t_ramp_field "$SOURCE" cap)" 40
t_expect_eq "day 3: ramp log entries" "$(redis-cli -p "$LB_REDIS_PORT" llen "$STATE_KEY:log")" 2
t_expect_eq "recipients smtp-sink received of the day 3 message" "$(t_sink_rcpts_of d3@rampart.test)" 1

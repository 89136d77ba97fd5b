#!/bin/bash
# A sending day with 12 % bounces holds the ramp.  Two rampart-milter
# processes share one Redis and the test clock moves from day to day.  On
# day 1 the source sends its whole cap of 25, and rampartctl records 22
# deliveries and 3 bounces: a bounce rate of 3 / (22 + 3) = 12 %, not
# under ramp.max_bounce_rate (0.10).  Day 2 stays at step 1 with cap 25:
# the ramp state, rampartctl status, the ramp log, rampartctl show, the
# 451 replies and smtp-sink all show it.  Day 2 is clean, so day 3
# advances to step 2.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SOURCE=127.0.0.11
CAP_1=25
CAP_2=50
OFFERED=30
LOG_KEY="rampart:{$SOURCE}:ramp:log"

t_two_milters 1 10:00 <<CONF
schedules: { ramp: { per_day = [$CAP_1, $CAP_2, 100]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; } );
routes = ( { source = "$SOURCE"; } );
CONF

# send_to_cap DAY STEP CAP: offer OFFERED recipients; exactly CAP pass.
send_to_cap() {
    local tag=d$1 deferral
    deferral="451 4.7.1 $SOURCE warm-up day $2: daily cap $3 reached, retry after 00:00 UTC"
    t_offer "$tag" "$OFFERED" 5
    t_drain mta
    t_expect_eq "day $1: accepted RCPTs" "$(t_rcpt_replies "$tag" "250 ")" "$3"
    t_expect_eq "day $1: RCPTs deferred with \"$deferral\"" \
        "$(t_rcpt_replies "$tag" "$deferral")" $((OFFERED - $3))
    t_expect_eq "day $1: recipients at smtp-sink" "$(t_sink_rcpts_tagged "$tag")" "$3"
    t_expect_counters "$SOURCE" "$(($3 / 5))" "$3" $((OFFERED - $3))
    t_expect_eq "day $1: ramp state step" "$(t_ramp_field "$SOURCE" step)" "$2"
    t_expect_eq "day $1: ramp state cap" "$(t_ramp_field "$SOURCE" cap)" "$3"
}

# --- day 1: the whole cap, 12 % of it bounced -----------------------------
send_to_cap 1 1 "$CAP_1"
DAY_1=$T_CLOCK_DATE
t_expect_eq "rampartctl record delivered" "$(t_ctl record "$SOURCE" delivered 22)" recorded
t_expect_eq "rampartctl record bounced" "$(t_ctl record "$SOURCE" bounced 3)" recorded
t_expect_eq "Redis $(t_day_key "$SOURCE") delivered" "$(t_counter "$SOURCE" delivered)" 22
t_expect_eq "Redis $(t_day_key "$SOURCE") bounced" "$(t_counter "$SOURCE" bounced)" 3

# --- day 2: held at step 1 ------------------------------------------------------
t_move_clock 2 10:00
DAY_2=$T_CLOCK_DATE
hold="$DAY_2 hold at 1: bounce rate not under 10.00%; $DAY_1 used $CAP_1 of $CAP_1 (100.0%), bounces 12.00%, complaints 0.000%"
send_to_cap 2 1 "$CAP_1"
t_expect_eq "ramp log entries after day 2" "$(redis-cli -p "$LB_REDIS_PORT" llen "$LOG_KEY")" 1
t_expect_eq "newest ramp log entry on day 2" "$(redis-cli -p "$LB_REDIS_PORT" lindex "$LOG_KEY" 0)" "$hold"
t_expect_match "rampartctl status on day 2" "$(t_ctl status "$SOURCE")" \
    "^$SOURCE +ramp +1 +$CAP_1 +$CAP_1 +$((OFFERED - CAP_1)) +0 +-$"
show=$(t_ctl show "$SOURCE")
t_expect_eq "rampartctl show: lines with the ramp log entry" "$(grep -cxF "    $hold" <<<"$show" || true)" 1
t_expect_match "rampartctl show: the last move" "$show" \
    "^    last_move +hold at 1: bounce rate not under 10.00%; $DAY_1 used $CAP_1 of $CAP_1 "
t_expect_match "rampartctl show: today" "$show" "^  today $DAY_2: step 1, cap $CAP_1, used $CAP_1, left 0"
for name in milter-a milter-b; do
    t_expect_ge "day 2: decision lines of $name at step 1" \
        "$(grep -c "action=accept .* cap=$CAP_1 step=1 key=$(t_day_key "$SOURCE") " \
            "$(t_milter_log "$name")" || true)" 1
done
t_expect_eq "day 2: deferral lines at step 1, both milters" \
    "$(cat "$(t_milter_log milter-a)" "$(t_milter_log milter-b)" |
        grep -c "action=defer stage=rcpt .* cap=$CAP_1 step=1 reason=cap key=$(t_day_key "$SOURCE") " || true)" \
    $((OFFERED - CAP_1))
t_expect_eq "rampartctl record delivered on day 2" "$(t_ctl record "$SOURCE" delivered "$CAP_1")" recorded

# --- day 3: a clean day 2 advances the ramp ---------------------------------------
t_move_clock 3 10:00
t_offer d3 10 5
t_drain mta
t_expect_eq "day 3: accepted RCPTs" "$(t_rcpt_replies d3 "250 ")" 10
t_expect_eq "day 3: recipients at smtp-sink" "$(t_sink_rcpts_tagged d3)" 10
t_expect_counters "$SOURCE" 2 10 0
t_expect_eq "day 3: ramp state step" "$(t_ramp_field "$SOURCE" step)" 2
t_expect_eq "newest ramp log entry on day 3" "$(redis-cli -p "$LB_REDIS_PORT" lindex "$LOG_KEY" 0)" \
    "$T_CLOCK_DATE advance 1->2: $DAY_2 used $CAP_1 of $CAP_1 (100.0%), bounces 0.00%, complaints 0.000%"
t_expect_match "rampartctl status on day 3" "$(t_ctl status "$SOURCE")" \
    "^$SOURCE +ramp +2 +$CAP_2 +10 +0 +$((CAP_2 - 10)) +-$"

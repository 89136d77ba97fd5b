#!/bin/bash
# A clean ramp advances one step per sending day.  Two rampart-milter
# processes share one Redis, and the test clock moves from day to day
# (test_clock_offset and SIGUSR1).  With per_day = [10, 20, 40, 80, 160]
# the source may send exactly 10, 20 and 40 recipients on days 1 to 3, and
# every recipient over the cap gets 451 4.7.1.  The deliveries of each day
# are recorded with rampartctl record, so each day passes the gates.  Day 4
# has no mail, and day 5 is at step 4 (cap 80), not 5: idle calendar days
# are not sending days.  The first mail of each day goes through both
# milters at once, and the day before is judged once.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SOURCE=127.0.0.11
PER_MESSAGE=10

t_two_milters 1 10:00 <<CONF
schedules: { ramp: { per_day = [10, 20, 40, 80, 160]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; } );
routes = ( { source = "$SOURCE"; } );
CONF

declare -A DATE_OF=()

# sending_day DAY STEP CAP OFFERED: offer OFFERED recipients on day DAY
# and check that exactly CAP pass at STEP, in Redis, in the replies, in
# the decision lines of both milters and at smtp-sink.  Then record the
# day's deliveries as smtp-sink counted them.
sending_day() {
    local day=$1 step=$2 cap=$3 offered=$4 tag=d$1 accepted delivered deferral name
    DATE_OF[$day]=$T_CLOCK_DATE

    # The first decision of the day, from both milters at once.
    t_offer_via a "$tag-a" 1 1 &
    local offer_a=$!
    t_offer_via b "$tag-b" 1 1 &
    wait "$offer_a" $!
    t_offer "$tag" $((offered - 2)) "$PER_MESSAGE"
    t_drain mta

    deferral="451 4.7.1 $SOURCE warm-up day $step: daily cap $cap reached, retry after 00:00 UTC"
    accepted=$(($(t_rcpt_replies "$tag-a" "250 ") + $(t_rcpt_replies "$tag-b" "250 ") +
        $(t_rcpt_replies "$tag" "250 ")))
    t_expect_eq "day $day: accepted RCPTs" "$accepted" "$cap"
    t_expect_eq "day $day: RCPTs deferred with \"$deferral\"" \
        "$(t_rcpt_replies "$tag" "$deferral")" $((offered - cap))
    delivered=$(($(t_sink_rcpts_tagged "$tag-a") + $(t_sink_rcpts_tagged "$tag-b") +
        $(t_sink_rcpts_tagged "$tag")))
    t_expect_eq "day $day: recipients at smtp-sink" "$delivered" "$cap"
    t_expect_eq "day $day: Redis $(t_day_key "$SOURCE") recipients" \
        "$(t_counter "$SOURCE" recipients)" "$cap"
    t_expect_eq "day $day: Redis $(t_day_key "$SOURCE") tempfailed" \
        "$(t_counter "$SOURCE" tempfailed)" $((offered - cap))
    t_expect_eq "day $day: ramp state step" "$(t_ramp_field "$SOURCE" step)" "$step"
    t_expect_eq "day $day: ramp state cap" "$(t_ramp_field "$SOURCE" cap)" "$cap"
    t_expect_eq "day $day: ramp state day" "$(t_ramp_field "$SOURCE" day)" "$T_CLOCK_DATE"
    for name in milter-a milter-b; do
        t_expect_ge "day $day: decision lines of $name with step=$step cap=$cap" \
            "$(grep -c "action=accept .* cap=$cap step=$step key=$(t_day_key "$SOURCE") " \
                "$(t_milter_log "$name")" || true)" 1
    done
    t_expect_match "day $day: rampartctl status" "$(t_ctl status)" \
        "^$SOURCE +ramp +$step +$cap +$cap +$((offered - cap)) +0 +-$"

    t_expect_eq "day $day: rampartctl record" \
        "$(t_ctl record "$SOURCE" delivered "$delivered")" recorded
    t_expect_eq "day $day: Redis $(t_day_key "$SOURCE") delivered" \
        "$(t_counter "$SOURCE" delivered)" "$cap"
}

# expect_move DAY INDEX FROM TO JUDGED_DAY USED: entry INDEX (0 is the
# newest) of the ramp log records that day DAY advanced FROM->TO because
# JUDGED_DAY used its whole cap of USED without bounces or complaints.
expect_move() {
    t_expect_eq "ramp log entry $2 (day $1)" \
        "$(redis-cli -p "$LB_REDIS_PORT" lindex "rampart:{$SOURCE}:ramp:log" "$2")" \
        "${DATE_OF[$1]} advance $3->$4: ${DATE_OF[$5]} used $6 of $6 (100.0%), bounces 0.00%, complaints 0.000%"
}

sending_day 1 1 10 15
t_expect_eq "ramp log entries after day 1" \
    "$(redis-cli -p "$LB_REDIS_PORT" llen "rampart:{$SOURCE}:ramp:log")" 0

t_move_clock 2 10:00
sending_day 2 2 20 25
expect_move 2 0 1 2 1 10

t_move_clock 3 10:00
sending_day 3 3 40 45
expect_move 3 0 2 3 2 20

# Day 4 passes without mail.  Day 5 judges day 3, the last sending day.
t_move_clock 5 10:00
t_expect_match "rampartctl status before the first decision of day 5" "$(t_ctl status)" \
    "^$SOURCE +ramp +3 +40 +0 +0 +40 +no decision today$"
sending_day 5 4 80 85
expect_move 5 0 3 4 3 40
expect_move 3 1 2 3 2 20
expect_move 2 2 1 2 1 10
t_expect_eq "ramp log entries after day 5" \
    "$(redis-cli -p "$LB_REDIS_PORT" llen "rampart:{$SOURCE}:ramp:log")" 3
t_expect_eq "Redis keys of day 4" \
    "$(redis-cli -p "$LB_REDIS_PORT" --raw keys "*:day:$(date -u -d "${DATE_OF[3]} + 1 day" +%F)*" | grep -c . || true)" 0
t_expect_match "rampartctl show of the last move" "$(t_ctl show "$SOURCE")" \
    "last_move +advance 3->4: ${DATE_OF[3]} used 40 of 40 "
t_expect_eq "recipients smtp-sink received in all" "$(t_sink_total)" $((10 + 20 + 40 + 80))

#!/bin/bash
# Pacing, through two rampart-milter processes that share one Redis.  The
# send hours are 08:00-20:00 UTC, and at 03:00 on the test clock every RCPT
# gets 451 4.7.1 naming the send hours and the opening time as the retry
# time.  At 10:00 the GCRA spreads the daily cap of 1200 over the 12 send
# hours, one recipient per 36 s, with a burst of 3.  Three one-recipient
# messages pass at once, and the next ones are deferred with a retry time
# at most 2 minutes ahead while the daily cap is far from reached.  At
# 10:05 mail passes again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SOURCE=127.0.0.11
CAP=1200
BURST=3
OFFERED=6

t_two_milters 1 03:00 <<CONF
schedules: { ramp: { per_day = [$CAP, 2400]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; } );
routes = ( { source = "$SOURCE"; } );
pacing: { send_hours = "08:00-20:00"; burst = $BURST; };
CONF

# --- 03:00: outside the send hours ------------------------------------------------
closed="451 4.7.1 $SOURCE sends 08:00-20:00 only, retry after 08:00 UTC"
t_offer night 2 1
t_expect_eq "03:00: RCPTs deferred with \"$closed\"" "$(t_rcpt_replies night "$closed")" 2
t_expect_counters "$SOURCE" 0 0 2
t_expect_eq "03:00: recipients at smtp-sink" "$(t_sink_total)" 0
for name in milter-a milter-b; do
    t_expect_eq "03:00: window deferrals logged by $name" \
        "$(grep -c "action=defer stage=rcpt .* cap=$CAP step=1 reason=window key=$(t_day_key "$SOURCE") " \
            "$(t_milter_log "$name")" || true)" 1
done
t_expect_eq "03:00: Postfix milter-reject lines with the send hours" \
    "$(grep -cF "milter-reject: RCPT from unknown[127.0.0.1]: $closed;" "$(t_maillog mta)" || true)" 2

# --- 10:00: a burst beyond the tolerance --------------------------------------------
t_move_clock 1 10:00
t_offer burst "$OFFERED" 1
t_drain mta
t_expect_eq "10:00: accepted RCPTs" "$(t_rcpt_replies burst "250 ")" "$BURST"
paced="451 4.7.1 $SOURCE pacing: daily cap $CAP spread over 08:00-20:00, retry after "
t_expect_eq "10:00: RCPTs deferred by pacing" "$(t_rcpt_replies burst "$paced")" $((OFFERED - BURST))
for i in $(seq "$BURST"); do
    t_expect_reply "$(cat "$LB_DIR/burst.out")" "rcpt:burst-r$i@example.net" "250 "
done
# After the burst the pacing TAT in Redis lies BURST intervals of 36 s
# ahead of the first message, and a message of one unit fits at
# TAT + 36 - BURST * 36.
tat=$(redis-cli -p "$LB_REDIS_PORT" get "rampart:{$SOURCE}:pace")
tat=${tat%.*}
fits_at=$((tat + 36 - BURST * 36))
for i in $(seq $((BURST + 1)) "$OFFERED"); do
    reply=$(t_reply "$(cat "$LB_DIR/burst.out")" "rcpt:burst-r$i@example.net")
    retry=$(sed -n 's/.*, retry after \([0-9][0-9]:[0-9][0-9]\) UTC$/\1/p' <<<"$reply")
    if [ -z "$retry" ]; then
        t_fail "reply to RCPT $i: got \"$reply\", want \"$paced""HH:MM UTC\""
        continue
    fi
    retry_at=$(date -u -d "$T_CLOCK_DATE $retry" +%s)
    # The test clock read 10:00 when the milters were reloaded.
    t_expect_le "seconds from 10:00 to the retry time of RCPT $i" \
        $((retry_at - $(date -u -d "$T_CLOCK_DATE 10:00" +%s))) 120
    # The reply rounds the retry time up to the minute, so it never names
    # a time before the message fits.
    t_expect_ge "seconds from the time RCPT $i fits ($(date -u -d "@$fits_at" +%T)) to its retry time ($retry)" \
        $((retry_at - fits_at)) 0
done
t_expect_counters "$SOURCE" "$BURST" "$BURST" $((2 + OFFERED - BURST))
t_expect_eq "10:00: recipients at smtp-sink" "$(t_sink_rcpts_tagged burst)" "$BURST"
t_expect_eq "10:00: deferrals logged with reason=pace" \
    "$(cat "$(t_milter_log milter-a)" "$(t_milter_log milter-b)" |
        grep -c "action=defer stage=rcpt .* cap=$CAP step=1 reason=pace key=" || true)" $((OFFERED - BURST))
now=$(($(redis-cli -p "$LB_REDIS_PORT" time | head -n 1) + T_CLOCK_OFFSET))
t_expect_ge "seconds from now to the pacing TAT in Redis" $((tat - now)) 60
t_expect_le "seconds from now to the pacing TAT in Redis" $((tat - now)) $((BURST * 36))
t_expect_match "10:00: rampartctl status, daily cap not reached" "$(t_ctl status "$SOURCE")" \
    "^$SOURCE +ramp +1 +$CAP +$BURST +$((2 + OFFERED - BURST)) +$((CAP - BURST)) +-$"

# --- 10:05: the pacing rate has room again ---------------------------------------------
t_move_clock 1 10:05
t_offer later 1 1
t_drain mta
t_expect_eq "10:05: accepted RCPTs" "$(t_rcpt_replies later "250 ")" 1
t_expect_eq "10:05: recipients at smtp-sink" "$(t_sink_rcpts_tagged later)" 1
t_expect_counters "$SOURCE" $((BURST + 1)) $((BURST + 1)) $((2 + OFFERED - BURST))

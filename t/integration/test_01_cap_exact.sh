#!/bin/bash
# A source that starts its ramp at step 3, with a cap of 20 recipients, is
# offered 30 one-recipient messages.  Exactly 20 RCPTs pass and the other
# 10 get the documented 451 4.7.1 reply, which names the step as the
# warm-up day.  Redis, the Postfix log and smtp-sink all agree on 20.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

CAP=20
OFFERED=30
SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11

t_setup_stack <<CONF
schedules: { ramp: { per_day = [5, 10, $CAP, 40]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; step = 3; } );
routes = ( { daemon_addr = "127.0.0.1"; source = "$SOURCE"; } );
CONF
lb_postfix_start mta

steps=()
for i in $(seq "$OFFERED"); do
    steps+=("mail:sender@shop.example" "rcpt:user$i@example.net" "data:cap-$i@rampart.test" rset)
done
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" "${steps[@]}")
t_drain mta

deferral="451 4.7.1 $SOURCE warm-up day 3: daily cap $CAP reached, retry after 00:00 UTC"
for i in $(seq "$OFFERED"); do
    if [ "$i" -le "$CAP" ]; then
        t_expect_reply "$out" "rcpt:user$i@example.net" "250 "
        t_expect_eq "recipients smtp-sink received of message $i" "$(t_sink_rcpts_of "cap-$i@rampart.test")" 1
    else
        t_expect_eq "reply to RCPT $i" "$(t_reply "$out" "rcpt:user$i@example.net")" "$deferral"
        t_expect_eq "recipients smtp-sink received of message $i" "$(t_sink_rcpts_of "cap-$i@rampart.test")" 0
    fi
done

t_expect_counters "$SOURCE" "$CAP" "$CAP" $((OFFERED - CAP))
t_expect_eq "Redis ramp state step" "$(redis-cli -p "$LB_REDIS_PORT" hget "rampart:{$SOURCE}:ramp" step)" 3
t_expect_eq "Redis ramp state cap" "$(redis-cli -p "$LB_REDIS_PORT" hget "rampart:{$SOURCE}:ramp" cap)" "$CAP"
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" "$CAP"
t_expect_eq "Postfix milter-reject lines with the deferral" \
    "$(grep -cF "milter-reject: RCPT from unknown[127.0.0.1]: $deferral" "$(t_maillog mta)" || true)" \
    $((OFFERED - CAP))
t_expect_eq "rampart-milter defer lines" \
    "$(grep -c 'action=defer stage=rcpt' "$(t_milter_log milter)" || true)" $((OFFERED - CAP))

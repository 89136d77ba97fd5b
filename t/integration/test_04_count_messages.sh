#!/bin/bash
# With count = "messages" a message uses one unit of the cap whatever its
# number of recipients: a cap of 2 admits two 3-recipient messages and
# defers the first RCPT of the third.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11

t_setup_stack <<CONF
count = "messages";
sources = ( { address = "$SOURCE"; daily_cap = 2; } );
routes = ( { source = "$SOURCE"; } );
CONF
lb_postfix_start mta

steps=()
for m in 1 2 3; do
    steps+=(mail:sender@shop.example)
    for r in 1 2 3; do
        steps+=("rcpt:m${m}r$r@example.net")
    done
    steps+=("data:messages-$m@rampart.test" rset)
done
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" "${steps[@]}")
t_drain mta

for m in 1 2; do
    for r in 1 2 3; do
        t_expect_reply "$out" "rcpt:m${m}r$r@example.net" "250 "
    done
    t_expect_reply "$out" "data:messages-$m@rampart.test" "250 "
    t_expect_eq "recipients smtp-sink received of message $m" "$(t_sink_rcpts_of "messages-$m@rampart.test")" 3
done
t_expect_eq "reply to the 1st RCPT of message 3" "$(t_reply "$out" rcpt:m3r1@example.net)" \
    "451 4.7.1 $SOURCE daily cap 2 reached, retry after 00:00 UTC"
t_expect_reply "$out" rcpt:m3r3@example.net "451 4.7.1"
t_expect_eq "recipients smtp-sink received of message 3" "$(t_sink_rcpts_of messages-3@rampart.test)" 0

t_expect_counters "$SOURCE" 2 6 3
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" 6
t_expect_match "eom decision of a 3-recipient message" "$(cat "$(t_milter_log milter)")" \
    "action=accept stage=eom source=$SOURCE unit=messages count=1 charged=1 cap=2 "
t_expect_match "rcpt decision of the 3rd recipient" "$(cat "$(t_milter_log milter)")" \
    "action=accept stage=rcpt source=$SOURCE unit=messages count=0 pending=1 cap=2 .*to=<m1r3@example.net>"

#!/bin/bash
# Decision lines carry Postfix's queue id.  Postfix opens the queue file
# after the first accepted RCPT, so that RCPT is logged as NOQUEUE and
# the later RCPTs and the end of message under the id that the Postfix
# log and smtp-sink's Received header show.  A RCPT deferred before any
# was accepted is NOQUEUE too.  Every decision line has the documented
# format, with the ramp's step=N and, on deferrals, reason=WORD.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11
CAP=3
DECISION='^rampart-milter: (NOQUEUE|[0-9A-F]+): action=(accept|defer) stage=(rcpt|eom) source=[0-9a-f.:]+ unit=(recipients|messages) count=[0-9]+ (pending|charged|refused)=[0-9]+ cap=[0-9]+ step=[0-9]+( reason=(cap|pace|window|paused|start)( provider=[a-z0-9_-]+)?)? key=rampart:\{[0-9a-f.:]+\}:(day:[0-9]{4}-[0-9]{2}-[0-9]{2}(:[a-z0-9_-]+)?|hour:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}) from=<[^>]*>( to=<[^>]*>)?$'

t_setup_stack <<CONF
schedules: { ramp: { per_day = [$CAP, 6]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; } );
routes = ( { source = "$SOURCE"; } );
CONF
lb_postfix_start mta

out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:sender@shop.example \
    rcpt:a1@example.net rcpt:a2@example.net rcpt:a3@example.net rcpt:a4@example.net \
    data:queue-id@rampart.test rset \
    mail:sender@shop.example rcpt:b1@example.net rset)
t_expect_reply "$out" rcpt:a3@example.net "250 "
t_expect_reply "$out" rcpt:a4@example.net "451 4.7.1 $SOURCE warm-up day 1: daily cap $CAP reached"
t_expect_reply "$out" data:queue-id@rampart.test "250 "
t_expect_reply "$out" rcpt:b1@example.net "451 4.7.1"
t_drain mta

maillog=$(cat "$(t_maillog mta)")
milter_log=$(grep ' action=' "$(t_milter_log milter)" || true)
qid=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<queue-id@rampart.test>.*/\1/p' <<<"$maillog")
[ -n "$qid" ] || t_fail "Postfix logged no queue id for message-id <queue-id@rampart.test>"
qid=${qid:-MISSING}
t_log "queue id $qid"

key=$(t_day_key "$SOURCE")
prefix="action=accept stage=rcpt source=$SOURCE unit=recipients"
t_expect_match "decision on RCPT a1" "$milter_log" \
    "^rampart-milter: NOQUEUE: $prefix count=0 pending=1 cap=$CAP step=1 key=$key from=<sender@shop.example> to=<a1@example.net>$"
t_expect_match "decision on RCPT a2" "$milter_log" "^rampart-milter: $qid: $prefix count=0 pending=2 .* to=<a2@example.net>$"
t_expect_match "decision on RCPT a3" "$milter_log" "^rampart-milter: $qid: $prefix count=0 pending=3 .* to=<a3@example.net>$"
t_expect_match "decision on RCPT a4" "$milter_log" \
    "^rampart-milter: $qid: action=defer stage=rcpt source=$SOURCE unit=recipients count=0 pending=4 cap=$CAP step=1 reason=cap key=$key from=<sender@shop.example> to=<a4@example.net>$"
t_expect_match "decision at end of message" "$milter_log" \
    "^rampart-milter: $qid: action=accept stage=eom source=$SOURCE unit=recipients count=$CAP charged=$CAP cap=$CAP step=1 key=$key from=<sender@shop.example>$"
t_expect_match "decision on RCPT b1" "$milter_log" "^rampart-milter: NOQUEUE: action=defer stage=rcpt .* reason=cap key=$key .* to=<b1@example.net>$"
t_expect_eq "decision lines" "$(wc -l <<<"$milter_log")" 6
bad=$(grep -Ev "$DECISION" <<<"$milter_log" || true)
t_expect_eq "decision lines not in the documented format" "$bad" ""

t_expect_match "Postfix log of the client" "$maillog" "smtpd\[[0-9]+\]: $qid: client=unknown\[127.0.0.1\]"
t_expect_match "Postfix log of the deferred a4" "$maillog" "$qid: milter-reject: RCPT from unknown\[127.0.0.1\]: 451 4.7.1 .* to=<a4@example.net>"
t_expect_match "Postfix log of the deferred b1" "$maillog" "NOQUEUE: milter-reject: RCPT from unknown\[127.0.0.1\]: 451 4.7.1 .* to=<b1@example.net>"
t_expect_eq "Postfix deliveries of $qid" "$(grep -c "$qid: to=<a[123]@example.net>, relay=.*status=sent" <<<"$maillog" || true)" 3
t_expect_match "smtp-sink's copy of the Postfix Received header" "$(cat "$LB_DIR/sink/dump")" \
    "by mta.rampart.test \(Postfix\) with ESMTP id $qid"
t_expect_eq "recipients smtp-sink received" "$(t_sink_rcpts_of queue-id@rampart.test)" 3
t_expect_counters "$SOURCE" 1 "$CAP" 2

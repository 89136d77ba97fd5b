#!/bin/bash
# rampart-policyd behind a real Postfix that uses the lines of
# contrib/postfix/main.cf.policyd as they are: the check in
# smtpd_recipient_restrictions before permit_*, the charge in
# smtpd_end_of_data_restrictions, default_action=DEFER, and the socket
# private/rampart-policy in the queue directory (the harness runs smtpd
# without chroot).
#
# With gmail per_hour = 5, 9 gmail recipients offered in three messages
# get exactly 5 delivered to smtp-sink and the other 4 deferred with
# 450 4.7.1 naming the limit; the hourly Redis counter equals what
# smtp-sink received.  A second listener refuses one recipient in a
# restriction after the policy check: the message is charged for
# recipient_count, not for the recipients policyd allowed.  With policyd
# stopped, Postfix defers; started again, mail flows.
set -euo pipefail
# shellcheck source=policy_lib.sh
. "$(dirname "$0")/policy_lib.sh"
t_policy_init "$@"

SMTP_PORT=$(t_port 3)
LATER_PORT=$(t_port 4)
SNIPPET=$T_DIR/../../contrib/postfix/main.cf.policyd
GMAIL_PER_HOUR=5

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
t_avoid_hour_edge

lb_postfix_init mta
cat "$SNIPPET" >>"$(lb_postfix_dir mta)/etc/main.cf"
# The second listener refuses refused@yahoo.com after the policy check.
restrictions=$(postconf -c "$(lb_postfix_dir mta)/etc" -h smtpd_recipient_restrictions)
refusal="check_recipient_access inline:{ refused@yahoo.com=REJECT }, permit_mynetworks"
lb_postfix_set mta "later_refusal_restrictions = ${restrictions/permit_mynetworks/$refusal}"
lb_postfix_listen mta "127.0.0.1:$SMTP_PORT"
lb_postfix_listen mta "127.0.0.1:$LATER_PORT" \
    "-o smtpd_recipient_restrictions=\$later_refusal_restrictions"
lb_postfix_start mta
POLICY_SOCKET=$(lb_postfix_dir mta)/queue/private/rampart-policy
t_expect_match "policy service in smtpd_recipient_restrictions" "$restrictions" \
    "check_policy_service \\{ ?unix:private/rampart-policy, timeout=10s, default_action=DEFER ?\\}"

t_mta_limits "$GMAIL_PER_HOUR" | t_policy_conf policyd "socket = \"unix:$POLICY_SOCKET\";"
t_start_policyd policyd

over_limit="450 4.7.1 <%s>: Recipient address rejected: $T_SOURCE limit for gmail: $GMAIL_PER_HOUR recipients per hour reached, retry after $(date -u -d "@$((($(date +%s) / 3600 + 1) * 3600))" +%H:00) UTC"

# --- exactly per_hour gmail recipients get through ------------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:news@shop.example \
    rcpt:a1@gmail.com rcpt:a2@googlemail.com rcpt:a3@gmail.com \
    data:gmail-1@rampart.test rset \
    mail:news@shop.example rcpt:b1@gmail.com rcpt:B1@GMAIL.COM rcpt:b2@gmail.com \
    rcpt:b3@gmail.com rcpt:b4@googlemail.com rcpt:b5@gmail.com \
    data:gmail-2@rampart.test rset \
    mail:news@shop.example rcpt:c1@gmail.com data:gmail-3@rampart.test)
for rcpt in a1@gmail.com a2@googlemail.com a3@gmail.com b1@gmail.com B1@GMAIL.COM b2@gmail.com; do
    t_expect_reply "$out" "rcpt:$rcpt" "250 "
done
for rcpt in b3@gmail.com b4@googlemail.com b5@gmail.com c1@gmail.com; do
    # shellcheck disable=SC2059 # the format is the expected reply
    t_expect_eq "reply to RCPT $rcpt over per_hour" "$(t_reply "$out" "rcpt:$rcpt")" \
        "$(printf "$over_limit" "$rcpt")"
done
t_expect_reply "$out" data:gmail-1@rampart.test "250 "
t_expect_reply "$out" data:gmail-2@rampart.test "250 "
t_expect_reply "$out" data:gmail-3@rampart.test "554 "
t_drain mta
t_expect_eq "recipients of gmail-1 at smtp-sink" "$(t_sink_rcpts_of gmail-1@rampart.test)" 3
t_expect_eq "recipients of gmail-2 at smtp-sink" "$(t_sink_rcpts_of gmail-2@rampart.test)" 2
t_expect_eq "gmail recipients at smtp-sink" "$(t_sink_total)" "$GMAIL_PER_HOUR"
t_expect_eq "Redis hourly gmail recipients" "$(t_policy_counter gmail hour)" "$(t_sink_total)"
t_expect_eq "Redis hourly gmail messages" "$(t_policy_counter gmail hour messages)" 2
t_expect_eq "Redis hourly gmail deferrals" "$(t_policy_counter gmail hour tempfailed)" 4
t_expect_match "policyd log of the gmail-2 charge" "$(cat "$(t_policy_log policyd)")" \
    "[0-9A-F]+: action=dunno stage=eom source=$T_SOURCE .* charged=2 .*key=rampart:\\{$T_SOURCE\\}:policy:gmail:hour:"

# --- a later restriction refuses a recipient policyd allowed -----------------------------
sink_before=$(t_sink_total)
out=$(t_smtp 127.0.0.1 "$LATER_PORT" mail:news@shop.example \
    rcpt:y1@yahoo.com rcpt:refused@yahoo.com rcpt:y2@yahoo.com data:later-1@rampart.test)
t_expect_reply "$out" rcpt:y1@yahoo.com "250 "
t_expect_reply "$out" rcpt:refused@yahoo.com "554 5.7.1 "
t_expect_reply "$out" rcpt:y2@yahoo.com "250 "
t_expect_reply "$out" data:later-1@rampart.test "250 "
t_expect_eq "Redis hourly yahoo recipients after a refused recipient" "$(t_policy_counter yahoo hour)" 2
# Two scopes: Postfix does not say which recipient it refused, so policyd
# takes the excess off the most recent scope (other.test, not yahoo) and
# only the total is exact (BUGS in rampart-policyd(8)).
out=$(t_smtp 127.0.0.1 "$LATER_PORT" mail:news@shop.example \
    rcpt:y3@yahoo.com rcpt:refused@yahoo.com rcpt:o1@other.test data:later-2@rampart.test)
t_expect_reply "$out" rcpt:refused@yahoo.com "554 5.7.1 "
t_expect_reply "$out" data:later-2@rampart.test "250 "
t_drain mta
t_expect_eq "recipients of later-1 at smtp-sink" "$(t_sink_rcpts_of later-1@rampart.test)" 2
t_expect_eq "recipients of later-2 at smtp-sink" "$(t_sink_rcpts_of later-2@rampart.test)" 2
yahoo=$(t_policy_counter yahoo hour)
other=$(t_policy_counter other.test day)
t_expect_eq "Redis charge of the messages with a refused recipient" $((yahoo + other)) \
    $(($(t_sink_total) - sink_before))
t_expect_eq "Redis hourly yahoo recipients, trimmed from the last scope" "$yahoo" 4
t_expect_eq "Redis daily other.test recipients, trimmed from the last scope" "$other" 0

# --- policyd stopped: Postfix defers; started again: mail flows ---------------------------
t_stop_policyds policyd
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:news@shop.example rcpt:down@example.org rset)
t_expect_reply "$out" rcpt:down@example.org "4"
t_expect_match "Postfix log of the unreachable policy service" "$(cat "$(t_maillog mta)")" \
    "private/rampart-policy"
t_start_policyd policyd
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:news@shop.example rcpt:up@example.org data:up-1@rampart.test)
t_expect_reply "$out" rcpt:up@example.org "250 "
t_expect_reply "$out" data:up-1@rampart.test "250 "
t_drain mta
t_expect_eq "recipients of up-1 at smtp-sink" "$(t_sink_rcpts_of up-1@rampart.test)" 1
t_expect_eq "Redis daily charge after the restart" "$(t_policy_counter example.org day)" 1

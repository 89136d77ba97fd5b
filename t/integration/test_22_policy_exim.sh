#!/bin/bash
# rampart-policyd behind a real Exim daemon (scripts/lib/exim.sh) whose
# ACLs use the statements of contrib/exim/rampart.acl: each RCPT is
# checked over ${readsocket} (one request per connection, half-close) and
# the DATA ACL charges the rampart_recipient lines.
#
# With gmail per_hour = 5, 9 gmail recipients offered in three messages
# get exactly 5 delivered to smtp-sink and the other 4 deferred with
# 450 4.7.1 naming the limit; the hourly Redis counter equals what
# smtp-sink received.  An ACL statement after the policy check refuses a
# recipient that policyd allowed: the charge at DATA counts exactly the
# recipients Exim accepted, in each scope.
set -euo pipefail
# shellcheck source=policy_lib.sh
. "$(dirname "$0")/policy_lib.sh"
# shellcheck source=../../scripts/lib/exim.sh
. "$T_DIR/../../scripts/lib/exim.sh"
t_policy_init "$@"

SMTP_PORT=$(t_port 3)
GMAIL_PER_HOUR=5

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
t_avoid_hour_edge

t_mta_limits "$GMAIL_PER_HOUR" | t_policy_conf policyd 'socket_group = "Debian-exim";'
t_start_policyd policyd

ex_init mta "$SMTP_PORT" "$(t_policy_socket policyd)"
cat >"$(ex_dir mta)/rcpt-after.acl" <<'ACL'
  deny    local_parts = refused
          message = refused after the policy check
ACL
ex_start mta

over_limit="450 4.7.1 $T_SOURCE limit for gmail: $GMAIL_PER_HOUR recipients per hour reached, retry after $(date -u -d "@$((($(date +%s) / 3600 + 1) * 3600))" +%H:00) UTC"

# --- exactly per_hour gmail recipients get through ------------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:news@shop.example \
    rcpt:a1@gmail.com rcpt:a2@googlemail.com rcpt:a3@gmail.com \
    data:gmail-1@rampart.test rset \
    mail:news@shop.example rcpt:b1@gmail.com rcpt:b2@gmail.com \
    rcpt:b3@gmail.com rcpt:b4@googlemail.com rcpt:b5@gmail.com \
    data:gmail-2@rampart.test rset \
    mail:news@shop.example rcpt:c1@gmail.com data:gmail-3@rampart.test)
for rcpt in a1@gmail.com a2@googlemail.com a3@gmail.com b1@gmail.com b2@gmail.com; do
    t_expect_reply "$out" "rcpt:$rcpt" "250 "
done
for rcpt in b3@gmail.com b4@googlemail.com b5@gmail.com c1@gmail.com; do
    t_expect_eq "reply to RCPT $rcpt over per_hour" "$(t_reply "$out" "rcpt:$rcpt" | ex_unwrap)" "$over_limit"
done
t_expect_reply "$out" data:gmail-1@rampart.test "250 "
t_expect_reply "$out" data:gmail-2@rampart.test "250 "
t_expect_reply "$out" data:gmail-3@rampart.test "503 "
ex_drain mta 30 || t_fail "Exim mta: the queue did not drain in 30 s"
t_expect_eq "recipients of gmail-1 at smtp-sink" "$(t_sink_rcpts_of gmail-1@rampart.test)" 3
t_expect_eq "recipients of gmail-2 at smtp-sink" "$(t_sink_rcpts_of gmail-2@rampart.test)" 2
t_expect_eq "gmail recipients at smtp-sink" "$(t_sink_total)" "$GMAIL_PER_HOUR"
t_expect_eq "Redis hourly gmail recipients" "$(t_policy_counter gmail hour)" "$(t_sink_total)"
t_expect_eq "Redis hourly gmail messages" "$(t_policy_counter gmail hour messages)" 2
t_expect_match "policyd log of the gmail-2 charge" "$(cat "$(t_policy_log policyd)")" \
    "action=dunno stage=eom source=$T_SOURCE .* charged=2 .*key=rampart:\\{$T_SOURCE\\}:policy:gmail:hour:[^ ]+ instance=exim\\.exim\\.rampart\\.test\\."

# --- an ACL statement after the check refuses a recipient policyd allowed -----------------
sink_before=$(t_sink_total)
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:news@shop.example \
    rcpt:y1@yahoo.com rcpt:refused@yahoo.com rcpt:y2@yahoo.com data:later-1@rampart.test rset \
    mail:news@shop.example rcpt:y3@yahoo.com rcpt:refused@yahoo.com rcpt:o1@other.test \
    data:later-2@rampart.test)
t_expect_reply "$out" rcpt:y1@yahoo.com "250 "
t_expect_reply "$out" rcpt:refused@yahoo.com "550 refused after the policy check"
t_expect_reply "$out" rcpt:y2@yahoo.com "250 "
t_expect_reply "$out" rcpt:o1@other.test "250 "
t_expect_reply "$out" data:later-1@rampart.test "250 "
t_expect_reply "$out" data:later-2@rampart.test "250 "
ex_drain mta 30 || t_fail "Exim mta: the queue did not drain in 30 s"
t_expect_eq "recipients of later-1 at smtp-sink" "$(t_sink_rcpts_of later-1@rampart.test)" 2
t_expect_eq "recipients of later-2 at smtp-sink" "$(t_sink_rcpts_of later-2@rampart.test)" 2
t_expect_eq "Redis hourly yahoo recipients (exact, from rampart_recipient)" \
    "$(t_policy_counter yahoo hour)" 3
t_expect_eq "Redis daily other.test recipients (exact, from rampart_recipient)" \
    "$(t_policy_counter other.test day)" 1
t_expect_eq "recipients at smtp-sink after the refusals" $(($(t_sink_total) - sink_before)) 4
t_expect_no_match "Exim panic log" "$(cat "$(ex_dir mta)/log/paniclog" 2>/dev/null || true)" "."

#!/bin/bash
# The warm-up caps in rampart-policyd.
#
# policy.warmup = true, behind Exim: a source on day 1 of a schedule with
# a cap of 4 recipients gets exactly 4 of 6 offered recipients accepted,
# the other 2 deferred with the warm-up text, and the source's day
# counter PREFIX:{IP}:day:DATE holds 4 recipients in 2 messages, as
# smtp-sink received them.  policyd enforces the cap alone: Exim has no
# milter.
#
# policy.warmup = false, on a Postfix host that runs rampart-milter and
# rampart-policyd from one rampart.conf: the milter charges the warm-up
# counter and policyd only the domain limits, so the day counter holds
# each recipient once.
set -euo pipefail
# shellcheck source=policy_lib.sh
. "$(dirname "$0")/policy_lib.sh"
# shellcheck source=../../scripts/lib/exim.sh
. "$T_DIR/../../scripts/lib/exim.sh"
t_policy_init "$@"

EXIM_PORT=$(t_port 3)
POSTFIX_PORT=$(t_port 4)
CAP=4

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
t_avoid_hour_edge

# --- warmup = true, Exim ------------------------------------------------------------------
t_policy_conf warmup 'socket_group = "Debian-exim"; warmup = true;' <<CONF
schedules = { small = { per_day = [$CAP, 8]; }; };
sources = ( { address = "$T_SOURCE"; schedule = "small"; start = "$T_TODAY"; } );
routes = ( { source = "$T_SOURCE"; } );
CONF
t_start_policyd warmup
t_expect_match "start line with warmup on" "$(cat "$(t_policy_log warmup)")" "warmup on"
ex_init mta "$EXIM_PORT" "$(t_policy_socket warmup)"
ex_start mta

deferral="450 4.7.1 $T_SOURCE warm-up day 1: daily cap $CAP reached, retry after 00:00 UTC"
out=$(t_smtp 127.0.0.1 "$EXIM_PORT" mail:news@shop.example \
    rcpt:a1@example.org rcpt:a2@example.net rcpt:a3@gmail.com \
    data:warm-1@rampart.test rset \
    mail:news@shop.example rcpt:b1@example.org rcpt:b2@example.org rcpt:b3@example.com \
    data:warm-2@rampart.test rset \
    mail:news@shop.example rcpt:c1@example.org data:warm-3@rampart.test)
for rcpt in a1@example.org a2@example.net a3@gmail.com b1@example.org; do
    t_expect_reply "$out" "rcpt:$rcpt" "250 "
done
for rcpt in b2@example.org b3@example.com c1@example.org; do
    t_expect_eq "reply to RCPT $rcpt over the warm-up cap" "$(t_reply "$out" "rcpt:$rcpt" | ex_unwrap)" "$deferral"
done
t_expect_reply "$out" data:warm-1@rampart.test "250 "
t_expect_reply "$out" data:warm-2@rampart.test "250 "
t_expect_reply "$out" data:warm-3@rampart.test "503 "
ex_drain mta 30 || t_fail "Exim mta: the queue did not drain in 30 s"
t_expect_eq "recipients at smtp-sink under the warm-up cap" "$(t_sink_total)" "$CAP"
t_expect_counters "$T_SOURCE" 2 "$CAP"
t_expect_eq "Redis ramp step of the source" \
    "$(redis-cli -p "$LB_REDIS_PORT" hget "rampart:{$T_SOURCE}:ramp" step)" 1
ex_stop mta
t_stop_policyds warmup

# --- warmup = false, Postfix with rampart-milter and rampart-policyd ----------------------
redis-cli -p "$LB_REDIS_PORT" flushall >/dev/null
rm -f "$LB_DIR/sink/dump"
lb_postfix_init both
POLICY_SOCKET=$(lb_postfix_dir both)/queue/private/rampart-policy
t_conf both <<CONF
sources = ( { address = "$T_SOURCE"; daily_cap = 1000; } );
routes = ( { source = "$T_SOURCE"; } );
providers = ( { name = "gmail"; domains = ["gmail.com"]; } );
domain_limits = ( { provider = "gmail"; per_day = 100; } );
policy: {
  socket = "unix:$POLICY_SOCKET";
  socket_group = "postfix";
  pid_file = "$LB_DIR/run/policy-both.pid";
  warmup = false;
};
CONF
cp "$LB_DIR/both.conf" "$LB_DIR/policy-both.conf"
lb_postfix_set both \
    "smtpd_milters = unix:$(t_milter_socket both)" \
    "milter_default_action = tempfail"
cat "$T_DIR/../../contrib/postfix/main.cf.policyd" >>"$(lb_postfix_dir both)/etc/main.cf"
lb_postfix_listen both "127.0.0.1:$POSTFIX_PORT"
lb_postfix_start both
t_start_milter both
t_start_policyd policy-both
t_expect_match "start line with warmup off" "$(cat "$(t_policy_log policy-both)")" "warmup off"

out=$(t_smtp 127.0.0.1 "$POSTFIX_PORT" mail:news@shop.example \
    rcpt:a1@gmail.com rcpt:a2@example.org rcpt:a3@gmail.com data:both-1@rampart.test rset \
    mail:news@shop.example rcpt:b1@gmail.com rcpt:b2@example.net data:both-2@rampart.test)
for rcpt in a1@gmail.com a2@example.org a3@gmail.com b1@gmail.com b2@example.net; do
    t_expect_reply "$out" "rcpt:$rcpt" "250 "
done
t_expect_reply "$out" data:both-1@rampart.test "250 "
t_expect_reply "$out" data:both-2@rampart.test "250 "
t_drain both
t_expect_eq "recipients at smtp-sink with milter and policyd" "$(t_sink_total)" 5
t_expect_counters "$T_SOURCE" 2 5
t_expect_eq "Redis daily gmail recipients of policyd" "$(t_policy_counter gmail day)" 3
t_expect_match "policyd charge of the gmail recipients only" "$(cat "$(t_policy_log policy-both)")" \
    "action=dunno stage=eom source=$T_SOURCE .* charged=1 .*key=rampart:\\{$T_SOURCE\\}:policy:gmail:day:"

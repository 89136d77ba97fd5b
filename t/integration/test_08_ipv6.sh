#!/bin/bash
# Mail received on [::1] is charged to the source of the route whose
# daemon_addr is "0:0:0:0:0:0:0:1", a non-canonical spelling of ::1.  The
# source itself is written "2001:DB8:0:0::11" and must appear in its
# canonical form in the Redis key and in the reply.  Mail received on
# 127.0.0.1 goes to the IPv4 source.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

V6_PORT=$(t_port 3)
V4_PORT=$(t_port 4)
V6_SOURCE=2001:db8::11
V4_SOURCE=127.0.0.11

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
t_conf milter <<CONF
sources = (
  { address = "2001:DB8:0:0::11"; daily_cap = 2; },
  { address = "$V4_SOURCE"; daily_cap = 100; }
);
routes = (
  { daemon_addr = "0:0:0:0:0:0:0:1"; source = "2001:db8:0::11"; },
  { daemon_addr = "127.0.0.1"; source = "$V4_SOURCE"; }
);
CONF
t_start_milter milter
t_postfix_init mta milter
lb_postfix_listen mta "[::1]:$V6_PORT"
lb_postfix_listen mta "127.0.0.1:$V4_PORT"
lb_postfix_start mta

out=$(t_smtp ::1 "$V6_PORT" mail:sender@shop.example \
    rcpt:v6a@example.net rcpt:v6b@example.net rcpt:v6c@example.net data:v6@rampart.test)
t_expect_reply "$out" rcpt:v6a@example.net "250 "
t_expect_reply "$out" rcpt:v6b@example.net "250 "
t_expect_eq "reply to the RCPT over the IPv6 source's cap" "$(t_reply "$out" rcpt:v6c@example.net)" \
    "451 4.7.1 $V6_SOURCE daily cap 2 reached, retry after 00:00 UTC"
t_expect_reply "$out" data:v6@rampart.test "250 "
out=$(t_smtp 127.0.0.1 "$V4_PORT" mail:sender@shop.example rcpt:v4@example.net data:v4@rampart.test)
t_expect_reply "$out" data:v4@rampart.test "250 "
t_drain mta

t_expect_counters "$V6_SOURCE" 1 2 1
t_expect_counters "$V4_SOURCE" 1 1 0
# Each source has its day counter and its ramp state, both under the
# canonical address.
t_expect_eq "Redis keys" "$(redis-cli -p "$LB_REDIS_PORT" --raw keys '*' | sort | tr '\n' ' ')" \
    "$(t_day_key "$V4_SOURCE") rampart:{$V4_SOURCE}:ramp $(t_day_key "$V6_SOURCE") rampart:{$V6_SOURCE}:ramp "
t_expect_eq "recipients smtp-sink received of the IPv6 message" "$(t_sink_rcpts_of v6@rampart.test)" 2
t_expect_eq "recipients smtp-sink received of the IPv4 message" "$(t_sink_rcpts_of v4@rampart.test)" 1

maillog=$(cat "$(t_maillog mta)")
queue_id=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<v6@rampart.test>.*/\1/p' <<<"$maillog")
t_expect_match "Postfix log of the IPv6 client" "$maillog" "smtpd\[[0-9]+\]: ${queue_id:-none}: client=unknown\[::1\]"
t_expect_match "rampart-milter eom decision of the IPv6 message" "$(cat "$(t_milter_log milter)")" \
    "${queue_id:-none}: action=accept stage=eom source=$V6_SOURCE unit=recipients count=2 charged=2 cap=2 step=[0-9]+ key=rampart:\{$V6_SOURCE\}:day:$T_TODAY "

#!/bin/bash
# With milter.header set, each accepted message carries its source in
# X-Rampart-Source, and milter_header_checks FILTER rules send it through
# a transport bound to that address: smtp-sink sees every message arrive
# from the IP that rampart charged.  A message that matches no route gets
# no header and leaves from Postfix's default address.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SINK_PORT=$(t_port 2)
SMTP_PORT=$(t_port 3)
NEWS=127.0.0.11      # sender domain news.example
SHOP=127.0.0.12      # sender domain shop.example, cap 3
DEFAULT=127.0.0.13   # anything else received on 127.0.0.1

lb_start_redis "$(t_port 1)"
lb_start_sink "$SINK_PORT"
t_conf milter 'header = "X-Rampart-Source";' <<CONF
sources = (
  { address = "$NEWS"; daily_cap = 100; },
  { address = "$SHOP"; daily_cap = 3; },
  { address = "$DEFAULT"; daily_cap = 100; }
);
routes = (
  { sender_domain = "news.example"; source = "$NEWS"; },
  { sender_domain = "shop.example"; source = "$SHOP"; },
  { daemon_addr = "127.0.0.1"; source = "$DEFAULT"; }
);
CONF
t_start_milter milter
t_postfix_init mta milter
PF=$(lb_postfix_dir mta)
for n in 11 12 13; do
    printf '/^X-Rampart-Source: 127\\.0\\.0\\.%s$/ FILTER out%s:[127.0.0.1]:%s\n' "$n" "$n" "$SINK_PORT"
    lb_postfix_transport mta "out$n" "127.0.0.$n"
done >"$PF/etc/milter_header_checks"
lb_postfix_set mta "milter_header_checks = regexp:$PF/etc/milter_header_checks"
lb_postfix_listen mta "127.0.0.1:$SMTP_PORT"
lb_postfix_listen mta "127.0.0.2:$SMTP_PORT"
lb_postfix_start mta

# send ADDR ID SENDER RECIPIENT...: one message; DATA must be accepted.
send() {
    local addr=$1 id=$2 sender=$3 steps=() out rcpt
    shift 3
    steps=("mail:$sender")
    for rcpt in "$@"; do
        steps+=("rcpt:$rcpt")
    done
    out=$(t_smtp "$addr" "$SMTP_PORT" "${steps[@]}" "data:$id")
    t_expect_reply "$out" "data:$id" "250 "
}

send 127.0.0.1 news-1@rampart.test letter@news.example n1@example.net n2@example.net
send 127.0.0.1 shop-1@rampart.test orders@shop.example s1@example.net
send 127.0.0.1 shop-2@rampart.test orders@shop.example s2@example.net s3@example.net s4@example.net
send 127.0.0.1 other-1@rampart.test alerts@app.example o1@example.net
send 127.0.0.2 unrouted@rampart.test alerts@app.example u1@example.net
t_drain mta

# The third RCPT of shop-2 passed the cap of 3 and was deferred.
t_expect_counters "$NEWS" 1 2 0
t_expect_counters "$SHOP" 2 3 1
t_expect_counters "$DEFAULT" 1 1 0
t_expect_eq "Redis day counters" "$(redis-cli -p "$LB_REDIS_PORT" --raw keys '*:day:*' | wc -l)" 3
t_expect_eq "Redis ramp states" "$(redis-cli -p "$LB_REDIS_PORT" --raw keys '*:ramp' | wc -l)" 3
t_expect_eq "Redis keys" "$(redis-cli -p "$LB_REDIS_PORT" --raw keys '*' | wc -l)" 6

# Each line: MESSAGE_ID RECIPIENTS CLIENT_ADDR SOURCE_HEADER
t_expect_eq "smtp-sink's view of news-1" "$(t_sink_messages | grep '^news-1@')" "news-1@rampart.test 2 $NEWS $NEWS"
t_expect_eq "smtp-sink's view of shop-1" "$(t_sink_messages | grep '^shop-1@')" "shop-1@rampart.test 1 $SHOP $SHOP"
t_expect_eq "smtp-sink's view of shop-2" "$(t_sink_messages | grep '^shop-2@')" "shop-2@rampart.test 2 $SHOP $SHOP"
t_expect_eq "smtp-sink's view of other-1" "$(t_sink_messages | grep '^other-1@')" "other-1@rampart.test 1 $DEFAULT $DEFAULT"
t_expect_eq "smtp-sink's view of the unrouted message" "$(t_sink_messages | grep '^unrouted@')" "unrouted@rampart.test 1 127.0.0.1 -"
for source in "$NEWS" "$SHOP" "$DEFAULT"; do
    t_expect_eq "recipients smtp-sink received from $source" "$(lb_sink_count "$source")" "$(t_counter "$source" recipients)"
done
t_expect_match "rampart-milter skip decision" "$(cat "$(t_milter_log milter)")" \
    'action=skip stage=mail reason="no route matched" client=127.0.0.1 daemon_addr=127.0.0.2 from=<alerts@app.example>'
for n in 11 12 13; do
    t_expect_match "Postfix deliveries through out$n" "$(cat "$(t_maillog mta)")" "postfix/out$n/smtp\[[0-9]+\]: .*status=sent"
done

#!/bin/bash
# Mail injected with the instance's sendmail command goes through
# non_smtpd_milters, is routed by sender_domain or by the catch-all route
# and is counted.  The daemon_addr route, which comes first, matches only
# the SMTP message received on 127.0.0.2.
#
# NOTE: Postfix 3.7.11 sends {daemon_addr} = 127.0.0.1 with sendmail
# submissions (seen with strace on the milter socket), so a daemon_addr
# route for 127.0.0.1 would take them.  The listener is on 127.0.0.2.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
BY_DAEMON=127.0.0.11
BY_DOMAIN=127.0.0.12
CATCH_ALL=127.0.0.13

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
t_conf milter <<CONF
sources = (
  { address = "$BY_DAEMON"; daily_cap = 100; },
  { address = "$BY_DOMAIN"; daily_cap = 100; },
  { address = "$CATCH_ALL"; daily_cap = 100; }
);
routes = (
  { daemon_addr = "127.0.0.2"; source = "$BY_DAEMON"; },
  { sender_domain = "news.example.com"; source = "$BY_DOMAIN"; },
  { source = "$CATCH_ALL"; }
);
CONF
t_start_milter milter
t_postfix_init mta milter
lb_postfix_set mta "non_smtpd_milters = unix:$(t_milter_socket milter)"
lb_postfix_listen mta "127.0.0.2:$SMTP_PORT"
lb_postfix_start mta
PF_ETC=$(lb_postfix_dir mta)/etc

# inject ID SENDER RECIPIENT...: submit a message with sendmail(1).
inject() {
    local id=$1 sender=$2 status=0
    shift 2
    printf 'From: <%s>\nSubject: rampart test %s\nMessage-ID: <%s>\n\nBody of %s.\n' \
        "$sender" "$id" "$id" "$id" |
        sendmail -C "$PF_ETC" -f "$sender" -i "$@" || status=$?
    t_expect_eq "exit status of sendmail for $id" "$status" 0
}

inject news@rampart.test letter@news.example.com n1@example.net n2@example.net
inject alert@rampart.test alerts@app.example.org a1@example.net
out=$(t_smtp 127.0.0.2 "$SMTP_PORT" mail:letter@news.example.com \
    rcpt:s1@example.net data:smtp@rampart.test)
t_expect_reply "$out" data:smtp@rampart.test "250 "
t_drain mta

t_expect_counters "$BY_DAEMON" 1 1 0
t_expect_counters "$BY_DOMAIN" 1 2 0
t_expect_counters "$CATCH_ALL" 1 1 0
t_expect_eq "recipients smtp-sink received of the sender_domain message" "$(t_sink_rcpts_of news@rampart.test)" 2
t_expect_eq "recipients smtp-sink received of the catch-all message" "$(t_sink_rcpts_of alert@rampart.test)" 1
t_expect_eq "recipients smtp-sink received of the SMTP message" "$(t_sink_rcpts_of smtp@rampart.test)" 1

# Each injected message passed the milter under Postfix's queue id.
maillog=$(cat "$(t_maillog mta)")
milter_log=$(cat "$(t_milter_log milter)")
for case in news@rampart.test:$BY_DOMAIN:2 alert@rampart.test:$CATCH_ALL:1; do
    IFS=: read -r id source rcpts <<<"$case"
    queue_id=$(sed -n "s/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<$id>.*/\1/p" <<<"$maillog")
    t_expect_match "Postfix log of the pickup of $id" "$maillog" "postfix/pickup\[[0-9]+\]: ${queue_id:-none}: uid=0 from="
    t_expect_match "rampart-milter eom decision for $id" "$milter_log" \
        "^rampart-milter: ${queue_id:-none}: action=accept stage=eom source=$source unit=recipients count=$rcpts charged=$rcpts "
done
t_expect_no_match "rampart-milter skip decisions" "$milter_log" 'action=skip'

#!/bin/bash
# Multi-recipient messages at the cap: with a daily cap of 5 recipients a
# 3-recipient message passes, the next one gets 2 RCPTs accepted and the
# third deferred, and every later RCPT is deferred.  A recipient repeated
# in other letter case counts once, also when the cap is already full.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
EDGE=127.0.0.11   # daily cap 5, mail received on 127.0.0.1
DUPS=127.0.0.12   # daily cap 10, sender domain dup.example

t_setup_stack <<CONF
sources = (
  { address = "$EDGE"; daily_cap = 5; },
  { address = "$DUPS"; daily_cap = 10; }
);
routes = (
  { sender_domain = "dup.example"; source = "$DUPS"; },
  { daemon_addr = "127.0.0.1"; source = "$EDGE"; }
);
CONF
lb_postfix_start mta

deferral="451 4.7.1 $EDGE daily cap 5 reached, retry after 00:00 UTC"

# --- the edge of the cap ---------------------------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" \
    mail:edge@shop.example rcpt:a1@example.net rcpt:a2@example.net \
    rcpt:a3@example.net data:edge-a@rampart.test rset \
    mail:edge@shop.example rcpt:b1@example.net rcpt:b2@example.net \
    rcpt:b3@example.net rcpt:B1@EXAMPLE.NET data:edge-b@rampart.test rset \
    mail:edge@shop.example rcpt:c1@example.net rcpt:c2@example.net rset)
for rcpt in a1 a2 a3; do
    t_expect_reply "$out" "rcpt:$rcpt@example.net" "250 "
done
t_expect_reply "$out" data:edge-a@rampart.test "250 "
t_expect_reply "$out" rcpt:b1@example.net "250 "
t_expect_reply "$out" rcpt:b2@example.net "250 "
t_expect_eq "reply to the 3rd RCPT of the 2nd message" "$(t_reply "$out" rcpt:b3@example.net)" "$deferral"
t_expect_reply "$out" rcpt:B1@EXAMPLE.NET "250 "
t_expect_reply "$out" data:edge-b@rampart.test "250 "
t_expect_eq "reply to the RCPT after the cap" "$(t_reply "$out" rcpt:c1@example.net)" "$deferral"
t_expect_eq "reply to the 2nd RCPT after the cap" "$(t_reply "$out" rcpt:c2@example.net)" "$deferral"

# --- recipients repeated in one message --------------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" \
    mail:news@dup.example rcpt:dup@example.net rcpt:Dup@Example.NET \
    rcpt:DUP@EXAMPLE.NET rcpt:other@example.net data:dups@rampart.test)
t_expect_reply "$out" rcpt:dup@example.net "250 "
t_expect_reply "$out" rcpt:Dup@Example.NET "250 "
t_expect_reply "$out" rcpt:DUP@EXAMPLE.NET "250 "
t_expect_reply "$out" rcpt:other@example.net "250 "
t_expect_reply "$out" data:dups@rampart.test "250 "
t_drain mta

t_expect_counters "$EDGE" 2 5 3
t_expect_counters "$DUPS" 1 2 0
t_expect_eq "recipients smtp-sink received of the 1st message" "$(t_sink_rcpts_of edge-a@rampart.test)" 3
t_expect_eq "recipients smtp-sink received of the 2nd message" "$(t_sink_rcpts_of edge-b@rampart.test)" 2
t_expect_eq "recipients smtp-sink received of the repeated-recipient message" "$(t_sink_rcpts_of dups@rampart.test)" 2
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" 7
t_expect_eq "Postfix milter-reject lines" \
    "$(grep -cF "milter-reject: RCPT from unknown[127.0.0.1]: $deferral" "$(t_maillog mta)" || true)" 3

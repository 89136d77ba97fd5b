#!/bin/bash
# Transactions that end without a message charge nothing: RSET after two
# accepted RCPTs (the milter gets ABORT), DATA rejected by Postfix, and a
# client that disconnects in the middle of DATA.  Only the one complete
# message is counted and delivered.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11

t_setup_stack <<CONF
sources = ( { address = "$SOURCE"; daily_cap = 100; } );
routes = ( { source = "$SOURCE"; } );
CONF
# Postfix rejects DATA from this one sender, after the milter accepted
# the recipients.
lb_postfix_set mta \
    "smtpd_data_restrictions = check_sender_access inline:{refused@data.example=REJECT}"
lb_postfix_start mta

# --- RSET between messages on one connection ---------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" \
    mail:sender@shop.example rcpt:r1@example.net rcpt:r2@example.net rset \
    mail:sender@shop.example rcpt:r3@example.net data:after-rset@rampart.test)
t_expect_reply "$out" rcpt:r1@example.net "250 "
t_expect_reply "$out" rcpt:r2@example.net "250 "
t_expect_reply "$out" rset "250 "
t_expect_reply "$out" data:after-rset@rampart.test "250 "
t_drain mta
t_expect_counters "$SOURCE" 1 1 0
t_expect_eq "recipients smtp-sink received after RSET" "$(t_sink_total)" 1

# --- DATA rejected by Postfix ---------------------------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" \
    mail:refused@data.example rcpt:d1@example.net rcpt:d2@example.net \
    data:refused@rampart.test rset)
t_expect_reply "$out" rcpt:d1@example.net "250 "
t_expect_reply "$out" data:refused@rampart.test "554 5.7.1"
t_expect_match "Postfix log of the rejected DATA" "$(cat "$(t_maillog mta)")" \
    'reject: DATA from .*<refused@data\.example>: Sender address rejected'

# --- client gone in the middle of DATA -------------------------------------------
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" \
    mail:sender@shop.example rcpt:c1@example.net rcpt:c2@example.net \
    data-cut:cut@rampart.test)
t_expect_reply "$out" rcpt:c2@example.net "250 "
t_expect_eq "client output after cutting DATA" "$(t_reply "$out" data-cut:cut@rampart.test)" cut
lb_wait_for 10 grep -q 'lost connection after DATA' "$(t_maillog mta)" ||
    t_fail "Postfix logged no \"lost connection after DATA\" within 10 s"

t_drain mta
t_expect_counters "$SOURCE" 1 1 0
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" 1
t_expect_eq "messages smtp-sink received" "$(t_sink_messages | wc -l)" 1
t_expect_eq "rampart-milter eom lines" \
    "$(grep -c 'stage=eom' "$(t_milter_log milter)" || true)" 1

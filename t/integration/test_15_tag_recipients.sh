#!/bin/bash
# Recipients that differ only in a "+tag" are separate recipients for
# Postfix: it delivers each of them, so each one is a RCPT that leaves the
# source IP.  The charge must match what was delivered and must not pass
# the cap of 3.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11
CAP=3

t_setup_stack <<CONF
sources = ( { address = "$SOURCE"; daily_cap = $CAP; } );
routes = ( { source = "$SOURCE"; } );
CONF
lb_postfix_start mta

out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:sender@shop.example \
    rcpt:user@example.net rcpt:user+a@example.net rcpt:user+b@example.net \
    rcpt:user+c@example.net rcpt:other@example.net data:tags@rampart.test)
t_drain mta

accepted=$(grep -c '^rcpt:.* 250 ' <<<"$out" || true)
delivered=$(t_sink_rcpts_of tags@rampart.test)
t_log "RCPTs accepted $accepted, delivered $delivered, charged $(t_counter "$SOURCE" recipients)"
t_expect_eq "Redis recipients against smtp-sink's recipients" "$(t_counter "$SOURCE" recipients)" "$delivered"
t_expect_le "recipients smtp-sink received from $SOURCE (the cap)" "$delivered" "$CAP"
t_expect_le "RCPTs Postfix accepted (the cap)" "$accepted" "$CAP"

#!/bin/bash
# Two rampart-milter processes share one Redis and one source.  Postfix
# has an smtpd listener for each milter, and smtp-source offers 2000
# recipients in 4-recipient messages over 40 parallel sessions, half to
# each listener at once.  The charged count must never pass the cap of
# 500, must equal what smtp-sink received, and must reach the cap.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

CAP=500
SESSIONS=20       # per listener
MESSAGES=250      # per listener
RCPTS=4           # per message
OFFERED=$((2 * MESSAGES * RCPTS))
PORT_A=$(t_port 3)
PORT_B=$(t_port 4)
SOURCE=127.0.0.11

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
for name in milter-a milter-b; do
    t_conf "$name" <<CONF
sources = ( { address = "$SOURCE"; daily_cap = $CAP; } );
routes = ( { source = "$SOURCE"; } );
CONF
    t_start_milter "$name"
done
t_postfix_init mta milter-a
lb_postfix_listen mta "127.0.0.1:$PORT_A" -o "smtpd_milters=unix:$(t_milter_socket milter-a)"
lb_postfix_listen mta "127.0.0.1:$PORT_B" -o "smtpd_milters=unix:$(t_milter_socket milter-b)"
lb_postfix_start mta

offer() {
    smtp-source -4 -A -d -s "$SESSIONS" -m "$MESSAGES" -r "$RCPTS" \
        -M load.example -f sender@shop.example -t user@example.net \
        "127.0.0.1:$1" >"$LB_DIR/smtp-source-$1.log" 2>&1
}
offer "$PORT_A" &
source_a=$!
offer "$PORT_B" &
source_b=$!
status=0
wait "$source_a" || status=$?
t_expect_eq "exit status of smtp-source to milter-a's listener" "$status" 0
status=0
wait "$source_b" || status=$?
t_expect_eq "exit status of smtp-source to milter-b's listener" "$status" 0
t_drain mta

charged=$(t_counter "$SOURCE" recipients)
deferred=$(t_counter "$SOURCE" tempfailed)
delivered=$(t_sink_total)
t_log "offered $OFFERED, charged $charged, deferred $deferred, delivered $delivered"
t_expect_le "Redis recipients (the cap)" "$charged" "$CAP"
t_expect_eq "Redis recipients against smtp-sink's recipients" "$charged" "$delivered"
t_expect_eq "Redis recipients" "$charged" "$CAP"
t_expect_eq "Redis messages against smtp-sink's messages" \
    "$(t_counter "$SOURCE" messages)" "$(t_sink_messages | wc -l)"
t_expect_eq "Redis recipients + tempfailed (every offered recipient once)" \
    $((charged + deferred)) "$OFFERED"
for name in milter-a milter-b; do
    t_expect_ge "accepted messages logged by $name" \
        "$(grep -c 'action=accept stage=eom' "$(t_milter_log "$name")" || true)" 1
    t_expect_ge "deferred recipients logged by $name" \
        "$(grep -c 'action=defer' "$(t_milter_log "$name")" || true)" 1
done
t_expect_ge "Postfix milter-reject lines" \
    "$(grep -c 'milter-reject: .* 451 4.7.1' "$(t_maillog mta)" || true)" 1

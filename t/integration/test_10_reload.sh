#!/bin/bash
# SIGUSR1 reloads rampart.conf.  A raised cap admits more mail the same
# day and keeps the day's count.  A file with a syntax error or an
# invalid value is rejected with its file:line in the log, and the running
# configuration stays.  A later valid file is loaded again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11
CONF=$LB_DIR/milter.conf

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"

# write_conf CAP [EXTRA_LINE]: the configuration with that daily cap.
write_conf() {
    t_conf milter <<CONF
sources = ( { address = "$SOURCE"; daily_cap = $1; } );
routes = ( { source = "$SOURCE"; } );
${2:-}
CONF
}

# offer FIRST LAST: one single-recipient message each for rFIRST..rLAST.
offer() {
    local steps=() i
    for i in $(seq "$1" "$2"); do
        steps+=(mail:sender@shop.example "rcpt:r$i@example.net" "data:reload-$i@rampart.test" rset)
    done
    t_smtp 127.0.0.1 "$SMTP_PORT" "${steps[@]}"
}

# expect_cap_reached OUTPUT N CAP: the RCPT of rN got the deferral for CAP.
expect_cap_reached() {
    t_expect_eq "reply to RCPT r$2" "$(t_reply "$1" "rcpt:r$2@example.net")" \
        "451 4.7.1 $SOURCE daily cap $3 reached, retry after 00:00 UTC"
}

write_conf 3
t_start_milter milter
t_postfix_init mta milter
lb_postfix_listen mta "127.0.0.1:$SMTP_PORT"
lb_postfix_start mta
log=$(t_milter_log milter)

# --- cap 3 --------------------------------------------------------------------
out=$(offer 1 4)
t_expect_reply "$out" rcpt:r3@example.net "250 "
expect_cap_reached "$out" 4 3
t_expect_counters "$SOURCE" 3 3 1

# --- raised to 6: three more the same day --------------------------------------------
write_conf 6
t_reload_milter milter
t_expect_match "log of the reload" "$(cat "$log")" "reloaded $CONF$"
out=$(offer 5 8)
t_expect_reply "$out" rcpt:r5@example.net "250 "
t_expect_reply "$out" rcpt:r7@example.net "250 "
expect_cap_reached "$out" 8 6
t_expect_counters "$SOURCE" 6 6 2

# expect_reload_rejected CASE LINE ERROR N: a file with cap 10 and LINE is
# rejected with "FILE:LINENO: ERROR" in the log, and rN still meets cap 6.
expect_reload_rejected() {
    local line_number out
    write_conf 10 "$2"
    line_number=$(grep -nF -- "$2" "$CONF" | cut -d: -f1)
    t_reload_milter milter
    t_expect_match "log of the reload with $1" "$(cat "$log")" \
        "reload failed, keeping the running configuration: $CONF:$line_number: $3"
    out=$(offer "$4" "$4")
    expect_cap_reached "$out" "$4" 6
}

# --- rejected files: the cap stays 6 ------------------------------------------------
expect_reload_rejected "a syntax error" 'this line is not libconfig' "syntax error" 9
expect_reload_rejected "an invalid value" 'count = "bytes";' 'count: invalid value "bytes"' 10

# --- a valid file again ------------------------------------------------------------
write_conf 7
t_reload_milter milter
out=$(offer 11 12)
t_expect_reply "$out" rcpt:r11@example.net "250 "
expect_cap_reached "$out" 12 7
t_expect_eq "reloads logged" "$(grep -c "reloaded $CONF$" "$log" || true)" 2

t_drain mta
t_expect_counters "$SOURCE" 7 7 5
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" 7
for i in 1 2 3 5 6 7 11; do
    t_expect_eq "recipients smtp-sink received of message $i" "$(t_sink_rcpts_of "reload-$i@rampart.test")" 1
done
t_expect_eq "rampart-milter pid after the reloads" "$(cat "$LB_DIR/run/milter.pid")" "${T_MILTER_PIDS[milter]}"

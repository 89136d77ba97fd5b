#!/bin/bash
# A second rampart-milter with the pid file of a running one must fail
# with exit status 73 (EX_CANTCREAT) and a message naming the running
# instance, in the foreground and in the background, and must leave the
# running instance working.  Started with the very same configuration,
# it must not take over the running instance's socket.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11
MILTER=$LB_BUILD/milter/rampart-milter

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"
t_conf first <<CONF
sources = ( { address = "$SOURCE"; daily_cap = 100; } );
routes = ( { source = "$SOURCE"; } );
CONF
# The same pid file with another socket.
sed -e "s|run/first.sock|run/other.sock|" "$LB_DIR/first.conf" >"$LB_DIR/other.conf"
t_start_milter first
first_pid=${T_MILTER_PIDS[first]}
SOCKET=$(t_milter_socket first)
PID_FILE=$LB_DIR/run/first.pid
t_postfix_init mta first
lb_postfix_listen mta "127.0.0.1:$SMTP_PORT"
lb_postfix_start mta

# send_message ID: one message with one recipient through the first milter.
send_message() {
    local out
    out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:sender@shop.example "rcpt:$1@example.net" "data:$1@rampart.test")
    t_expect_reply "$out" "data:$1@rampart.test" "250 "
}

# start_second CASE ARGS...: start another instance and check that it
# fails with 73 and names the running instance on stderr.
start_second() {
    local case=$1 status=0 output
    shift
    output=$(timeout 20 "$MILTER" "$@" 2>&1) || status=$?
    t_expect_eq "exit status of a second instance ($case)" "$status" 73
    t_expect_match "message of a second instance ($case)" "$output" \
        "pid file $PID_FILE is locked: another instance runs \(pid $first_pid\)"
}

send_message before
inode=$(stat -c %i "$SOCKET")

start_second "foreground, other socket" -f -c "$LB_DIR/other.conf"
start_second "background, other socket" -c "$LB_DIR/other.conf"
sleep 1
start_second "foreground, same configuration" -f -c "$LB_DIR/first.conf"

t_expect_eq "pid file of the running instance" "$(cat "$PID_FILE")" "$first_pid"
t_expect_eq "inode of the running instance's socket" "$(stat -c %i "$SOCKET" 2>&1)" "$inode"
send_message after
t_drain mta
t_expect_counters "$SOURCE" 2 2 0
t_expect_eq "recipients smtp-sink received" "$(t_sink_total)" 2
t_expect_no_match "Postfix log of milter connections" "$(cat "$(t_maillog mta)")" \
    "warning: connect to Milter service"

#!/bin/bash
# rampart-milter as a daemon.  -n checks a file: exit 0 for a good one,
# 78 (EX_CONFIG) with "file:line: ..." for a bad one.  Without -f it
# detaches (new session, parent gone), creates the directories of its
# socket and pid file, writes the pid file, runs as the configured user,
# and gives its unix socket socket_group and socket_mode.  Postfix
# reaches it through that socket.  SIGTERM stops it and removes the pid
# file.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SMTP_PORT=$(t_port 3)
SOURCE=127.0.0.11
SOCKET=$LB_DIR/sockdir/milter.sock
PID_FILE=$LB_DIR/piddir/rampart-milter.pid
MILTER=$LB_BUILD/milter/rampart-milter

lb_start_redis "$(t_port 1)"
lb_start_sink "$(t_port 2)"

# write_conf FILE [EXTRA_LINE]
write_conf() {
    cat >"$1" <<CONF
redis: { address = "127.0.0.1:$LB_REDIS_PORT"; timeout_ms = 250; };
user = "rampart";
milter: {
  socket = "unix:$SOCKET";
  socket_group = "postfix";
  socket_mode = "0620";
  pid_file = "$PID_FILE";
};
sources = ( { address = "$SOURCE"; daily_cap = 100; } );
routes = ( { source = "$SOURCE"; } );
${2:-}
CONF
}

# check_conf FILE: run -n; prints "STATUS" then the output.
check_conf() {
    local status=0 output
    output=$("$MILTER" -n -c "$1" 2>&1) || status=$?
    printf '%s\n%s\n' "$status" "$output"
}

# --- -n ------------------------------------------------------------------------------
write_conf "$LB_DIR/good.conf"
result=$(check_conf "$LB_DIR/good.conf")
t_expect_eq "exit status of -n on a good file" "$(head -n1 <<<"$result")" 0
t_expect_match "output of -n on a good file" "$result" "^$LB_DIR/good.conf: configuration OK$"

write_conf "$LB_DIR/bad.conf" 'count = "bytes";'
line=$(grep -n 'count = "bytes"' "$LB_DIR/bad.conf" | cut -d: -f1)
result=$(check_conf "$LB_DIR/bad.conf")
t_expect_eq "exit status of -n on an invalid value" "$(head -n1 <<<"$result")" 78
t_expect_match "output of -n on an invalid value" "$result" \
    "^$LB_DIR/bad.conf:$line: count: invalid value \"bytes\""

write_conf "$LB_DIR/syntax.conf" 'routes = ('
result=$(check_conf "$LB_DIR/syntax.conf")
t_expect_eq "exit status of -n on a syntax error" "$(head -n1 <<<"$result")" 78
t_expect_match "output of -n on a syntax error" "$result" "^$LB_DIR/syntax.conf:[0-9]+: syntax error"

# --- start in the background ---------------------------------------------------------------
write_conf "$LB_DIR/milter.conf"
status=0
timeout 10 "$MILTER" -c "$LB_DIR/milter.conf" >"$LB_DIR/start.out" 2>&1 || status=$?
t_expect_eq "exit status of the starting process" "$status" 0
lb_wait_for 10 test -s "$PID_FILE" || lb_die "rampart-milter wrote no pid file $PID_FILE"
pid=$(cat "$PID_FILE")
LB_PIDS+=("$pid")
lb_wait_for 10 test -S "$SOCKET" || lb_die "rampart-milter has no socket $SOCKET"

rampart_uid=$(id -u rampart)
rampart_gid=$(id -g rampart)
status_text=$(cat "/proc/$pid/status")
t_expect_match "user ids of the daemon" "$status_text" "^Uid:\s+$rampart_uid\s+$rampart_uid\s+$rampart_uid\s+$rampart_uid$"
t_expect_match "group ids of the daemon" "$status_text" "^Gid:\s+$rampart_gid\s+$rampart_gid\s+$rampart_gid\s+$rampart_gid$"
t_expect_match "supplementary groups of the daemon" "$status_text" "^Groups:\s+$rampart_gid\s*$"
stat_fields=$(sed 's/.*) //' "/proc/$pid/stat")
t_expect_eq "session id of the daemon (setsid)" "$(cut -d' ' -f4 <<<"$stat_fields")" "$pid"
[ "$(cut -d' ' -f2 <<<"$stat_fields")" != $$ ] ||
    t_fail "the daemon's parent is this test: it did not detach"
t_expect_eq "owner, group and mode of the socket" "$(stat -c '%U %G %a' "$SOCKET")" "rampart postfix 620"
t_expect_eq "owner of the socket's directory" "$(stat -c '%U' "$LB_DIR/sockdir")" rampart
t_expect_eq "owner of the pid file's directory" "$(stat -c '%U' "$LB_DIR/piddir")" rampart
t_expect_eq "file descriptors 0-2 of the daemon" \
    "$(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2")" \
    "/dev/null /dev/null /dev/null"
t_expect_eq "working directory of the daemon" "$(readlink "/proc/$pid/cwd")" /

# --- Postfix reaches it through the socket ------------------------------------------------------
lb_postfix_init mta
lb_postfix_set mta "smtpd_milters = unix:$SOCKET" "milter_default_action = tempfail"
lb_postfix_listen mta "127.0.0.1:$SMTP_PORT"
lb_postfix_start mta
out=$(t_smtp 127.0.0.1 "$SMTP_PORT" mail:sender@shop.example rcpt:d1@example.net \
    rcpt:d2@example.net data:daemon@rampart.test)
t_expect_reply "$out" data:daemon@rampart.test "250 "
t_drain mta
t_expect_counters "$SOURCE" 1 2 0
t_expect_eq "recipients smtp-sink received" "$(t_sink_rcpts_of daemon@rampart.test)" 2

# --- SIGTERM -----------------------------------------------------------------------------
kill -TERM "$pid"
lb_wait_gone 15 "$pid" || t_fail "rampart-milter (pid $pid) still runs 15 s after SIGTERM"
[ ! -e "$PID_FILE" ] || t_fail "pid file $PID_FILE still exists after SIGTERM"

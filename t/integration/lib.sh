# shellcheck shell=bash
# Helpers for the integration tests in t/integration/test_*.sh.
#
# A test sources this file, calls t_init "$@" and then builds its own
# servers with the lb_* functions of scripts/lib/loopback.sh and the t_*
# functions below.  Checks do not stop the test: each failed check prints
# one "FAIL: what: got X, want Y" line, and the test exits 1 at the end.
# An unexpected command failure ends the test at once with its line.
#
# Ports: test_NN_*.sh owns 20000 + NN * 100 up to 99 more (t_port).
# Files: everything goes to a new directory under $T_WORK_ROOT (default
# /tmp), removed when the test passes and kept when it fails.
# Sanitizer reports of rampart-milter go to $LB_DIR/sanitizer and fail
# the test.

T_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib/loopback.sh
. "$T_DIR/../../scripts/lib/loopback.sh"

T_NAME=$(basename "$0" .sh)
declare -A T_MILTER_PIDS=()

# t_init "$@": enter the loopback-only namespace, create the work
# directory and install the exit handler.
t_init() {
    lb_enter_netns "$@"
    lb_assert_loopback_only
    local number=${T_NAME#test_}
    number=${number%%_*}
    [[ $number =~ ^[0-9]+$ ]] || lb_die "test file names start with test_NN_"
    T_PORT_BASE=$((20000 + 10#$number * 100))
    lb_workdir "${T_WORK_ROOT:-/tmp}/$T_NAME"
    trap t_finish EXIT
    trap 'exit 143' TERM INT
    trap 't_unexpected $LINENO "$BASH_COMMAND"' ERR
    T_TODAY=$(date -u +%F)
    mkdir -p "$LB_DIR/run" "$LB_DIR/sanitizer"
    chown rampart "$LB_DIR/run"
    chmod 1777 "$LB_DIR/sanitizer"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}:log_path=$LB_DIR/sanitizer/asan"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}:log_path=$LB_DIR/sanitizer/ubsan"
    t_log "work directory $LB_DIR, ports from $T_PORT_BASE"
}

t_log() {
    printf '%s: %s\n' "$T_NAME" "$*" >&2
}

# t_port N: the test's Nth port (0-99).
t_port() {
    echo $((T_PORT_BASE + $1))
}

# t_fail MESSAGE: record a failed check.  The record is a file, so that
# checks in command substitutions (subshells) count too.
t_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    printf '%s\n' "$*" >>"$LB_DIR/failures"
}

t_failure_count() {
    if [ -f "$LB_DIR/failures" ]; then
        wc -l <"$LB_DIR/failures"
    else
        echo 0
    fi
}

t_unexpected() {
    t_fail "line $1: command failed: $2"
}

# --- checks ----------------------------------------------------------------

# t_expect_eq WHAT GOT WANT
t_expect_eq() {
    [ "$2" = "$3" ] || t_fail "$1: got \"$2\", want \"$3\""
}

# t_expect_le WHAT GOT MAX
t_expect_le() {
    [ "$2" -le "$3" ] || t_fail "$1: got $2, want at most $3"
}

# t_expect_ge WHAT GOT MIN
t_expect_ge() {
    [ "$2" -ge "$3" ] || t_fail "$1: got $2, want at least $3"
}

# t_expect_match WHAT TEXT REGEX: TEXT has a line matching the ERE.
t_expect_match() {
    grep -Eq -- "$3" <<<"$2" ||
        t_fail "$1: no line matches /$3/ in: $(head -c 600 <<<"$2")"
}

# t_expect_no_match WHAT TEXT REGEX
t_expect_no_match() {
    local line
    line=$(grep -Em1 -- "$3" <<<"$2" || true)
    [ -z "$line" ] || t_fail "$1: unexpected line matching /$3/: $line"
}

# --- Redis -------------------------------------------------------------------

# t_day_key SOURCE: the counter hash of SOURCE for today, or for the
# simulated day of the test clock once t_clock has set one.
t_day_key() {
    echo "rampart:{$1}:day:${T_CLOCK_DATE:-$T_TODAY}"
}

# t_counter SOURCE FIELD: a field of today's hash, 0 when absent.
t_counter() {
    local value
    value=$(redis-cli -p "$LB_REDIS_PORT" hget "$(t_day_key "$1")" "$2")
    echo "${value:-0}"
}

# t_expect_counters SOURCE MESSAGES RECIPIENTS [TEMPFAILED]
t_expect_counters() {
    local key
    key=$(t_day_key "$1")
    t_expect_eq "Redis $key messages" "$(t_counter "$1" messages)" "$2"
    t_expect_eq "Redis $key recipients" "$(t_counter "$1" recipients)" "$3"
    if [ $# -ge 4 ]; then
        t_expect_eq "Redis $key tempfailed" "$(t_counter "$1" tempfailed)" "$4"
    fi
}

# --- rampart-milter ----------------------------------------------------------

# t_conf NAME [MILTER_KEYS]: write $LB_DIR/NAME.conf for a milter on
# unix:$LB_DIR/run/NAME.sock using the test's Redis.  The rest of the file
# (count, schedules, sources, routes, ...) comes from stdin.
t_conf() {
    local name=$1 extra=${2:-}
    {
        cat <<CONF
redis: { address = "127.0.0.1:$LB_REDIS_PORT"; timeout_ms = 250; prefix = "rampart"; };
timezone = "UTC";
user = "rampart";
milter: {
  socket = "unix:$LB_DIR/run/$name.sock";
  socket_group = "postfix";
  pid_file = "$LB_DIR/run/$name.pid";
  $extra
};
CONF
        cat
    } >"$LB_DIR/$name.conf"
}

t_milter_socket() {
    echo "$LB_DIR/run/$1.sock"
}

t_milter_log() {
    echo "$LB_DIR/$1.log"
}

# t_start_milter NAME: run rampart-milter -f with $LB_DIR/NAME.conf, its
# stdout and stderr in $LB_DIR/NAME.log, and wait for its socket.  The
# milter logs its start after it opened the socket, so a restart waits
# for a new start line, not for the socket file of the last run.
t_start_milter() {
    local name=$1 pid log starts=0
    log=$(t_milter_log "$name")
    if [ -f "$log" ]; then
        starts=$(grep -c 'starting rampart-milter' "$log" || true)
    fi
    "$LB_BUILD/milter/rampart-milter" -f -c "$LB_DIR/$name.conf" \
        >>"$log" 2>&1 &
    pid=$!
    LB_PIDS+=("$pid")
    T_MILTER_PIDS[$name]=$pid
    lb_wait_for 10 t_log_count_above "$log" 'starting rampart-milter' "$starts" ||
        lb_die "rampart-milter $name did not start; see $log"
    lb_wait_for 10 test -S "$(t_milter_socket "$name")" ||
        lb_die "rampart-milter $name has no socket $(t_milter_socket "$name")"
}

# t_stop_daemons PROGRAM PIDS LOG_FUNCTION NAME...: SIGTERM to each named
# process of the associative array PIDS, then check that each exited with
# status 0 (a sanitizer finding at exit makes it non-zero).  They stop in
# parallel, so a slow one does not delay the others.
t_stop_daemons() {
    local program=$1 log_function=$3 name pid status
    local -n pids=$2
    shift 3
    for name in "$@"; do
        pid=${pids[$name]}
        lb_running "$pid" ||
            t_fail "$program $name (pid $pid) died before the end of the test; see $("$log_function" "$name")"
        kill -TERM "$pid" 2>/dev/null || true
    done
    for name in "$@"; do
        pid=${pids[$name]}
        unset "pids[$name]"
        status=0
        wait "$pid" || status=$?
        t_expect_eq "exit status of $program $name after SIGTERM" "$status" 0
    done
}

# t_stop_milters NAME...: t_stop_daemons for rampart-milter, which checks
# for SIGTERM only every 5 s (MI_CHK_TIME in libmilter.h).
t_stop_milters() {
    t_stop_daemons rampart-milter T_MILTER_PIDS t_milter_log "$@"
}

# t_reload_milter NAME: SIGUSR1, then wait for the reload to be logged
# ("reloaded" or "reload failed").
t_reload_milter() {
    local log before
    log=$(t_milter_log "$1")
    before=$(grep -c -E 'reloaded |reload failed' "$log" || true)
    kill -USR1 "${T_MILTER_PIDS[$1]}"
    lb_wait_for 10 t_log_count_above "$log" 'reloaded |reload failed' "$before" ||
        t_fail "rampart-milter $1 logged no reload within 10 s after SIGUSR1"
}

# t_log_count_above FILE REGEX N: more than N lines of FILE match.
t_log_count_above() {
    [ "$(grep -c -E "$2" "$1" || true)" -gt "$3" ]
}

# --- Postfix and smtp-sink ---------------------------------------------------

# t_postfix_init NAME MILTER: a Postfix instance whose smtpd uses the
# milter NAME'd by t_conf, and tempfails when the milter is unreachable.
t_postfix_init() {
    lb_postfix_init "$1"
    lb_postfix_set "$1" \
        "smtpd_milters = unix:$(t_milter_socket "$2")" \
        "milter_default_action = tempfail"
}

# t_setup_stack: the servers most tests use.  redis-server listens on
# t_port 1, smtp-sink on t_port 2, rampart-milter "milter" runs with the
# configuration body from stdin (see t_conf), and Postfix "mta" has one
# smtpd on 127.0.0.1:$(t_port 3) that uses it.  Postfix is left to the
# caller to start with lb_postfix_start mta, after any extra settings.
t_setup_stack() {
    lb_start_redis "$(t_port 1)"
    lb_start_sink "$(t_port 2)"
    t_conf milter
    t_start_milter milter
    t_postfix_init mta milter
    lb_postfix_listen mta "127.0.0.1:$(t_port 3)"
}

t_maillog() {
    echo "$(lb_postfix_dir "$1")/log/maillog"
}

# t_drain NAME: wait for the queue to empty.  A deferred message fails the
# test.
t_drain() {
    lb_postfix_drain "$1" 60 || t_fail "Postfix $1: the queue did not drain in 60 s"
    t_expect_eq "Postfix $1: deferred messages" "$(lb_postfix_deferred "$1")" 0
}

# t_sink_messages: one line per message smtp-sink received:
#   MESSAGE_ID RECIPIENTS CLIENT_ADDR SOURCE_HEADER
# (SOURCE_HEADER is the X-Rampart-Source value or "-").
t_sink_messages() {
    [ -f "$LB_DIR/sink/dump" ] || return 0
    awk '
        function flush() {
            if (client != "")
                print (id == "" ? "-" : id), rcpts, client, source
        }
        /^X-Client-Addr: / { flush(); client = $2; rcpts = 0; id = ""; source = "-"; next }
        /^X-Rcpt-Args: / { rcpts++; next }
        tolower($1) == "message-id:" && id == "" { id = $2; gsub(/[<>]/, "", id); next }
        /^X-Rampart-Source: / && source == "-" { source = $2; next }
        END { flush() }' "$LB_DIR/sink/dump"
}

# t_sink_total: recipients smtp-sink received, all messages.
t_sink_total() {
    t_sink_messages | awk '{ n += $2 } END { print n + 0 }'
}

# t_sink_rcpts_of ID: recipients of the message with Message-ID <ID>, 0
# when it never arrived.
t_sink_rcpts_of() {
    t_sink_messages | awk -v id="$1" '$1 == id { n += $2 } END { print n + 0 }'
}

# --- SMTP --------------------------------------------------------------------

# t_smtp HOST PORT STEP...: run one session with smtp_session.py; its
# output is printed and kept in $LB_DIR/smtp-NANOSECONDS.out.
t_smtp() {
    local out
    out=$LB_DIR/smtp-$(date +%s%N).out
    if ! python3 "$T_DIR/smtp_session.py" "$@" >"$out" 2>&1; then
        t_fail "SMTP session to $1:$2 failed: $(tail -n 1 "$out")"
    fi
    cat "$out"
}

# t_reply SESSION_OUTPUT STEP: "CODE TEXT" of the first line for STEP.
t_reply() {
    awk -v step="$2" '$1 == step { $1 = ""; sub(/^ /, ""); sub(/ ms=[0-9]+$/, ""); print; exit }' <<<"$1"
}

# t_reply_ms SESSION_OUTPUT STEP: milliseconds the reply to STEP took.
t_reply_ms() {
    awk -v step="$2" '$1 == step { sub(/^ms=/, "", $NF); print $NF; exit }' <<<"$1"
}

# t_expect_reply SESSION_OUTPUT STEP WANT: the reply to STEP starts with WANT.
t_expect_reply() {
    local got
    got=$(t_reply "$1" "$2")
    [[ $got == "$3"* ]] || t_fail "reply to $2: got \"$got\", want \"$3...\""
}

# --- simulated days -----------------------------------------------------------
#
# The tests that span several days run two milters, milter-a and milter-b,
# on one Redis, and move the clock of both and of rampartctl with
# test_clock_offset: the decision script reads Redis TIME plus the offset.
# Only builds configured with -DRAMPART_TESTING=ON accept the key.  Day 1
# is the day after the real one, so the offset is positive and the expiry
# times the script sets with EXPIREAT (real Redis time) lie ahead.

# t_clock DAY HH:MM: set T_CLOCK_OFFSET so that Redis TIME plus the offset
# reads HH:MM UTC on day DAY, and T_CLOCK_DATE to that date.
t_clock() {
    local hours=${2%%:*} minutes=${2##*:} midnight now target
    midnight=$(date -u -d "$T_TODAY" +%s)
    target=$((midnight + $1 * 86400 + 10#$hours * 3600 + 10#$minutes * 60))
    now=$(redis-cli -p "$LB_REDIS_PORT" time | head -n 1)
    T_CLOCK_OFFSET=$((target - now))
    T_CLOCK_DATE=$(date -u -d "@$target" +%F)
}

# t_write_clock_confs: write milter-a.conf and milter-b.conf from the body
# that t_two_milters saved, with the current T_CLOCK_OFFSET.
t_write_clock_confs() {
    local name
    for name in milter-a milter-b; do
        {
            printf 'test_clock_offset = %s;\n' "$T_CLOCK_OFFSET"
            cat "$LB_DIR/body.conf"
        } | t_conf "$name"
    done
}

# t_two_milters DAY HH:MM: start the stack of the multi-day tests, with the
# test clock at HH:MM of day DAY.  redis-server listens on t_port 1 and
# smtp-sink on t_port 2.  milter-a and milter-b run with the configuration
# body from stdin (see t_conf).  Postfix "mta" has an smtpd on
# 127.0.0.1:$(t_port 3) that uses milter-a and one on 127.0.0.1:$(t_port 4)
# that uses milter-b.
t_two_milters() {
    lb_start_redis "$(t_port 1)"
    lb_start_sink "$(t_port 2)"
    cat >"$LB_DIR/body.conf"
    t_clock "$1" "$2"
    t_write_clock_confs
    if ! "$LB_BUILD/milter/rampart-milter" -n -c "$LB_DIR/milter-a.conf" \
        >"$LB_DIR/check.out" 2>&1; then
        cat "$LB_DIR/check.out" >&2
        lb_die "the configuration is invalid; test_clock_offset needs a build configured with -DRAMPART_TESTING=ON (LB_BUILD=$LB_BUILD)"
    fi
    t_start_milter milter-a
    t_start_milter milter-b
    t_postfix_init mta milter-a
    lb_postfix_listen mta "127.0.0.1:$(t_port 3)" -o "smtpd_milters=unix:$(t_milter_socket milter-a)"
    lb_postfix_listen mta "127.0.0.1:$(t_port 4)" -o "smtpd_milters=unix:$(t_milter_socket milter-b)"
    lb_postfix_start mta
}

# t_move_clock DAY HH:MM: set the test clock, rewrite both configurations
# and reload both milters.
t_move_clock() {
    t_clock "$1" "$2"
    t_write_clock_confs
    t_reload_milter milter-a
    t_reload_milter milter-b
    t_log "test clock now $2 UTC on day $1 ($T_CLOCK_DATE)"
}

# t_ctl ARGS...: rampartctl with milter-a's configuration and test clock.
t_ctl() {
    "$LB_BUILD/ctl/rampartctl" -c "$LB_DIR/milter-a.conf" "$@"
}

# t_ramp_field SOURCE FIELD [PROVIDER]: a field of a ramp state hash.
t_ramp_field() {
    local key="rampart:{$1}:ramp${3:+:$3}"
    redis-cli -p "$LB_REDIS_PORT" hget "$key" "$2"
}

# t_offer TAG RECIPIENTS PER_MESSAGE [DOMAIN]: offer RECIPIENTS recipients
# TAG-rN@DOMAIN (example.net unless given) in messages of PER_MESSAGE
# recipients with Message-ID <TAG-mN@rampart.test>, one SMTP session per
# message, alternately to milter-a's and milter-b's listener.  Every reply
# goes to $LB_DIR/TAG.out.
t_offer() {
    t_offer_via ab "$@"
}

# t_offer_via LISTENERS TAG RECIPIENTS PER_MESSAGE [DOMAIN]: t_offer through
# milter-a's listener only (LISTENERS a), milter-b's (b) or both in turn
# (ab).
t_offer_via() {
    local via=$1 tag=$2 total=$3 per=$4 domain=${5:-example.net}
    local n=0 message=0 port rcpts
    : >"$LB_DIR/$tag.out"
    while [ "$n" -lt "$total" ]; do
        message=$((message + 1))
        case $via in
        a) port=$(t_port 3) ;;
        b) port=$(t_port 4) ;;
        ab) port=$(t_port $((3 + (message + 1) % 2))) ;;
        *) lb_die "t_offer_via: invalid listeners \"$via\": use a, b or ab" ;;
        esac
        rcpts=()
        while [ "$n" -lt "$total" ] && [ "${#rcpts[@]}" -lt "$per" ]; do
            n=$((n + 1))
            rcpts+=("rcpt:$tag-r$n@$domain")
        done
        t_smtp 127.0.0.1 "$port" mail:sender@shop.example "${rcpts[@]}" \
            "data:$tag-m$message@rampart.test" >>"$LB_DIR/$tag.out"
    done
}

# t_rcpt_replies TAG REPLY: RCPT replies of t_offer TAG that start with
# REPLY, such as "250 " or a whole "451 4.7.1 ..." text.
t_rcpt_replies() {
    awk -v want="$2" '
        $1 ~ /^rcpt:/ {
            reply = $0
            sub(/^[^ ]+ /, "", reply)
            sub(/ ms=[0-9]+$/, "", reply)
            if (index(reply, want) == 1) n++
        }
        END { print n + 0 }' "$LB_DIR/$1.out"
}

# t_sink_rcpts_tagged TAG: recipients smtp-sink received in messages of
# t_offer TAG.
t_sink_rcpts_tagged() {
    t_sink_messages | awk -v tag="$1" 'index($1, tag "-m") == 1 { n += $2 } END { print n + 0 }'
}

# --- end of test -------------------------------------------------------------

t_check_sanitizers() {
    local report
    for report in "$LB_DIR"/sanitizer/*; do
        [ -e "$report" ] || continue
        t_fail "sanitizer report $report: $(grep -m1 -E 'ERROR|runtime error' "$report" || head -n1 "$report")"
        cat "$report" >&2
    done
}

t_finish() {
    local status=$? failures
    trap - ERR
    t_stop_milters "${!T_MILTER_PIDS[@]}"
    t_check_sanitizers
    if [ "$(date -u +%F)" != "$T_TODAY" ]; then
        t_log "note: the UTC day changed during the test, so today's counters moved to a new key"
    fi
    if [ "$status" != 0 ] && [ "$(t_failure_count)" = 0 ]; then
        t_fail "exited with status $status"
    fi
    failures=$(t_failure_count)
    if [ "$failures" != 0 ]; then
        LB_KEEP=1
        t_log "$failures check(s) failed; logs kept in $LB_DIR"
    fi
    lb_cleanup
    [ "$failures" = 0 ] || exit 1
    exit 0
}

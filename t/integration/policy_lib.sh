# shellcheck shell=bash
# Helpers for the rampart-policyd tests (test_2N_policy_*.sh), on top of
# lib.sh: configuration, start and stop of rampart-policyd, policy
# requests through policy_client.py, and the Redis counters of the domain
# limits.  A test sources this file instead of lib.sh and calls
# t_policy_init "$@" instead of t_init.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A T_POLICYD_PIDS=()

# The source every test configuration routes all mail to.
T_SOURCE=192.0.2.10

# t_policy_init "$@": t_init, and stop the policy servers at exit before
# the checks of t_finish.
t_policy_init() {
    t_init "$@"
    trap t_policy_finish EXIT
}

t_policy_finish() {
    local status=$?
    trap - ERR
    t_stop_policyds "${!T_POLICYD_PIDS[@]}"
    (exit "$status")
    t_finish
}

# t_policy_conf NAME [POLICY_KEYS]: write $LB_DIR/NAME.conf for a
# rampart-policyd on unix:$LB_DIR/run/NAME.sock with socket_group postfix
# (unless POLICY_KEYS set socket or socket_group) and the test's Redis.
# The rest of the file (sources, routes, providers, domain_limits, ...)
# comes from stdin.
t_policy_conf() {
    local name=$1 extra=${2:-} socket="" group='socket_group = "postfix";'
    [[ $extra == *"socket ="* ]] ||
        socket="socket = \"unix:$(t_policy_socket "$name")\";"
    [[ $extra != *"socket_group ="* ]] || group=""
    {
        cat <<CONF
redis: { address = "127.0.0.1:$LB_REDIS_PORT"; timeout_ms = 250; prefix = "rampart"; };
timezone = "UTC";
user = "rampart";
policy: {
  $socket
  $group
  pid_file = "$LB_DIR/run/$name.pid";
  $extra
};
CONF
        cat
    } >"$LB_DIR/$name.conf"
}

# t_mta_limits GMAIL_PER_HOUR: the configuration body of the MTA tests:
# all mail from $T_SOURCE, gmail (gmail.com, googlemail.com) limited to
# GMAIL_PER_HOUR recipients an hour, yahoo to 10, every other domain to
# 100 a day.
t_mta_limits() {
    cat <<CONF
sources = ( { address = "$T_SOURCE"; daily_cap = 100000; } );
routes = ( { source = "$T_SOURCE"; } );
providers = (
  { name = "gmail"; domains = ["gmail.com", "googlemail.com"]; },
  { name = "yahoo"; domains = ["yahoo.com"]; }
);
domain_limits = (
  { provider = "gmail"; per_hour = $1; },
  { provider = "yahoo"; per_hour = 10; },
  { provider = "*"; per_day = 100; }
);
CONF
}

t_policy_socket() {
    echo "$LB_DIR/run/$1.sock"
}

t_policy_log() {
    echo "$LB_DIR/$1.log"
}

# t_start_policyd NAME: run rampart-policyd -f with $LB_DIR/NAME.conf, its
# output in $LB_DIR/NAME.log; wait until it has started and, when Redis
# runs, until it is connected.
t_start_policyd() {
    local name=$1 log pid socket
    log=$(t_policy_log "$name")
    "$LB_BUILD/policy/rampart-policyd" -f -c "$LB_DIR/$name.conf" >>"$log" 2>&1 &
    pid=$!
    LB_PIDS+=("$pid")
    T_POLICYD_PIDS[$name]=$pid
    lb_wait_for 10 grep -q 'starting rampart-policyd' "$log" ||
        lb_die "rampart-policyd $name did not start; see $log"
    for socket in $(sed -n '/^policy:/,/^};/p' "$LB_DIR/$name.conf" |
        grep -o '"unix:[^"]*"' | tr -d '"'); do
        lb_wait_for 10 test -S "${socket#unix:}" ||
            lb_die "rampart-policyd $name has no socket ${socket#unix:}"
    done
    if [ -n "${LB_REDIS_PORT:-}" ] && redis-cli -p "$LB_REDIS_PORT" ping >/dev/null 2>&1; then
        lb_wait_for 10 grep -q '^rampart-policyd: connected to Redis$' "$log" ||
            lb_die "rampart-policyd $name did not connect to Redis; see $log"
    fi
}

# t_stop_policyds NAME...: t_stop_daemons for rampart-policyd.
t_stop_policyds() {
    t_stop_daemons rampart-policyd T_POLICYD_PIDS t_policy_log "$@"
}

# t_policyd_running NAME: the process still runs.
t_policyd_running() {
    lb_running "${T_POLICYD_PIDS[$1]}"
}

# --- requests ------------------------------------------------------------------

# t_req STATE INSTANCE [NAME=VALUE...]: one policy request as Postfix sends
# it from client 127.0.0.1, with the extra attributes after the usual ones.
t_req() {
    local state=$1 instance=$2
    shift 2
    printf '%s\n' request=smtpd_access_policy "protocol_state=$state" \
        protocol_name=ESMTP "instance=$instance" client_address=127.0.0.1 \
        sender=sender@rampart.test "$@"
    printf '\n'
}

# t_rcpt INSTANCE RECIPIENT [NAME=VALUE...]: an RCPT request.
t_rcpt() {
    local instance=$1 recipient=$2
    shift 2
    t_req RCPT "$instance" "recipient=$recipient" "$@"
}

# t_eom INSTANCE [NAME=VALUE...]: an END-OF-MESSAGE request.
t_eom() {
    local instance=$1
    shift
    t_req END-OF-MESSAGE "$instance" "queue_id=Q${instance//[^A-Za-z0-9]/}" "$@"
}

# t_policy MODE ENDPOINT [ARGS...]: run policy_client.py with stdin; its
# output is printed and kept in $LB_DIR/policy-NANOSECONDS.out.
t_policy() {
    local out
    out=$LB_DIR/policy-$(date +%s%N).out
    if ! python3 "$T_DIR/policy_client.py" "$@" >"$out" 2>&1; then
        t_fail "policy_client.py $*: $(tail -n 1 "$out")"
    fi
    cat "$out"
}

# t_count_lines TEXT REGEX: lines of TEXT matching the ERE.
t_count_lines() {
    grep -c -E -- "$2" <<<"$1" || true
}

# --- Redis ---------------------------------------------------------------------

# t_policy_key SCOPE day|hour: the counter of a domain limit now.
t_policy_key() {
    if [ "$2" = hour ]; then
        echo "rampart:{$T_SOURCE}:policy:$1:hour:$(date -u +%FT%H)"
    else
        echo "rampart:{$T_SOURCE}:policy:$1:day:$T_TODAY"
    fi
}

# t_policy_counter SCOPE day|hour [FIELD]: a field of that counter
# (recipients by default), 0 when absent.
t_policy_counter() {
    local value
    value=$(redis-cli -p "$LB_REDIS_PORT" hget "$(t_policy_key "$1" "$2")" "${3:-recipients}")
    echo "${value:-0}"
}

# t_avoid_hour_edge: in the last minute of an hour, sleep until the next
# one has begun, so that an hourly counter keeps its key during the test.
t_avoid_hour_edge() {
    local second
    [ "$(date -u +%M)" = 59 ] || return 0
    second=$(date -u +%S)
    t_log "waiting $((61 - 10#$second)) s for the next hour"
    sleep $((61 - 10#$second))
}

# shellcheck shell=bash
# Private servers on loopback for the demo, the integration tests and the
# benchmarks: redis-server, a Postfix instance with its own configuration
# and queue directories (the system's Postfix is not touched), smtp-sink as
# the destination, and rampart-milter.  Source this file, set LB_DIR to an
# empty directory, and call lb_cleanup on exit.
#
# Everything listens on 127.0.0.0/8 only.  Callers run inside a network
# namespace with nothing but loopback (see lb_enter_netns), so no DNS query
# or stray connection of an MTA can leave the machine.

LB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LB_BUILD=${LB_BUILD:-$LB_ROOT/build}
LB_PIDS=()

lb_log() {
    printf '%s\n' "$*" >&2
}

lb_die() {
    lb_log "error: $*"
    exit 1
}

# Re-run the calling script inside a new network namespace that has only
# loopback, unless this process already is in one.
lb_enter_netns() {
    if [ "${LB_IN_NETNS:-}" = 1 ]; then
        return 0
    fi
    [ "$(id -u)" = 0 ] || lb_die "run as root: the servers run in a private network namespace"
    export LB_IN_NETNS=1
    exec unshare --net -- /bin/bash -c 'ip link set lo up && exec "$@"' \
        bash "$0" "$@"
}

# Check that nothing but loopback exists in this namespace.
lb_assert_loopback_only() {
    local links
    links=$(ip -o link show | awk -F': ' '{print $2}' | grep -v '^lo$' || true)
    [ -z "$links" ] || lb_die "network interfaces besides lo: $links"
}

lb_wait_for() {
    # lb_wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
    local deadline=$((SECONDS + $1))
    shift
    until "$@" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

lb_workdir() {
    LB_DIR=$(mktemp -d "${1:-/tmp/rampart}.XXXXXX")
    chmod 755 "$LB_DIR"
    export LB_DIR
}

# lb_start_redis PORT: a redis-server without persistence on 127.0.0.1.
lb_start_redis() {
    local port=$1
    mkdir -p "$LB_DIR/redis"
    redis-server --bind 127.0.0.1 --port "$port" --save '' \
        --appendonly no --dir "$LB_DIR/redis" --daemonize yes \
        --pidfile "$LB_DIR/redis/redis.pid" \
        --logfile "$LB_DIR/redis/redis.log" ||
        lb_die "redis-server did not start; see $LB_DIR/redis/redis.log"
    lb_wait_for 10 redis-cli -p "$port" ping >/dev/null ||
        lb_die "redis-server on port $port does not answer"
    LB_REDIS_PORT=$port
}

# lb_running PID: the process exists and is not a zombie.  A daemon's
# zombie lasts until init reaps it, which can take seconds.
lb_running() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# lb_wait_gone SECONDS PID...: wait until none of the processes runs.
lb_wait_gone() {
    local deadline=$((SECONDS + $1)) pid
    shift
    for pid in "$@"; do
        while lb_running "$pid"; do
            [ $SECONDS -lt $deadline ] || return 1
            sleep 0.1
        done
    done
}

# Stop redis-server and wait for it to exit, so that its port is free for
# a restart.  SIGCONT wakes a server that a test stopped with SIGSTOP.
lb_stop_redis() {
    local pid
    [ -f "$LB_DIR/redis/redis.pid" ] || return 0
    pid=$(cat "$LB_DIR/redis/redis.pid")
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    lb_wait_gone 10 "$pid" || lb_log "redis-server (pid $pid) still runs 10 s after SIGTERM"
    rm -f "$LB_DIR/redis/redis.pid"
}

# lb_start_sink PORT: smtp-sink on 127.0.0.1:PORT appending every
# delivered message to $LB_DIR/sink/dump.
lb_start_sink() {
    local port=$1
    mkdir -p "$LB_DIR/sink"
    chown postfix "$LB_DIR/sink"
    smtp-sink -u postfix -D "$LB_DIR/sink/dump" -m 512 \
        "127.0.0.1:$port" 1024 >"$LB_DIR/sink/log" 2>&1 &
    LB_PIDS+=("$!")
    LB_SINK_PORT=$port
    lb_wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" ||
        lb_die "smtp-sink on port $port does not answer"
}

# lb_sink_count ADDR: recipients delivered to the sink from source ADDR.
lb_sink_count() {
    [ -f "$LB_DIR/sink/dump" ] || {
        echo 0
        return
    }
    awk -v addr="$1" '
        /^X-Client-Addr: / { from = $2 }
        /^X-Rcpt-Args: / { if (from == addr) n++ }
        END { print n + 0 }' "$LB_DIR/sink/dump"
}

# lb_postfix_init NAME: write a private Postfix instance under
# $LB_DIR/postfix-NAME that relays everything to the sink and never looks
# up a name.  Add listeners with lb_postfix_listen, then lb_postfix_start.
lb_postfix_init() {
    local dir=$LB_DIR/postfix-$1
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/log"
    chown postfix "$dir/data"
    cat >"$dir/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.rampart.test
mydomain = rampart.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
relayhost = [127.0.0.1]:${LB_SINK_PORT:-2526}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
default_process_limit = 200
smtp_destination_concurrency_limit = 50
default_destination_concurrency_limit = 50
smtp_connection_cache_on_demand = yes
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
queue_run_delay = 300s
minimal_backoff_time = 300s
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir/log
biff = no
CONF
    cat >"$dir/etc/master.cf" <<'CONF'
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
CONF
}

lb_postfix_dir() {
    echo "$LB_DIR/postfix-$1"
}

# lb_postfix_set NAME 'param = value'...: change main.cf.
lb_postfix_set() {
    local dir=$LB_DIR/postfix-$1
    shift
    postconf -c "$dir/etc" -e "$@"
}

# lb_postfix_listen NAME ADDR:PORT [-o name=value ...]: add an smtpd.
lb_postfix_listen() {
    local dir=$LB_DIR/postfix-$1 endpoint=$2
    shift 2
    printf '%s inet n - n - - smtpd %s\n' "$endpoint" "$*" \
        >>"$dir/etc/master.cf"
}

# lb_postfix_transport NAME TRANSPORT BIND_ADDR: an smtp client service
# that connects from BIND_ADDR.
lb_postfix_transport() {
    local dir=$LB_DIR/postfix-$1
    printf '%s unix - - n - - smtp -o smtp_bind_address=%s -o syslog_name=postfix/%s\n' \
        "$2" "$3" "$2" >>"$dir/etc/master.cf"
}

lb_postfix_start() {
    local dir=$LB_DIR/postfix-$1
    # postfix(1) prints its errors only to a terminal or syslog.
    if ! script -qec "postfix -c '$dir/etc' start" /dev/null \
        >"$dir/log/start.out" 2>&1; then
        cat "$dir/log/start.out" >&2
        lb_die "Postfix instance $1 did not start"
    fi
    lb_wait_for 10 test -S "$dir/queue/public/pickup" ||
        lb_die "Postfix instance $1 has no pickup socket"
}

lb_postfix_stop() {
    local dir=$LB_DIR/postfix-$1 pid
    [ -f "$dir/queue/pid/master.pid" ] || return 0
    pid=$(tr -d ' \n' <"$dir/queue/pid/master.pid")
    script -qec "postfix -c '$dir/etc' stop" /dev/null >/dev/null 2>&1 || true
    lb_wait_gone 10 "$pid" || lb_log "Postfix master (pid $pid) still runs 10 s after postfix stop"
}

# Messages waiting in the queue (deferred mail not included).
lb_postfix_active() {
    local q=$LB_DIR/postfix-$1/queue
    find "$q/maildrop" "$q/incoming" "$q/active" -type f 2>/dev/null | wc -l
}

lb_postfix_deferred() {
    find "$LB_DIR/postfix-$1/queue/deferred" -type f 2>/dev/null | wc -l
}

# lb_postfix_drain NAME SECONDS: wait until the queue has delivered all
# it can (the count of waiting messages stays 0 for half a second).
lb_postfix_drain() {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(lb_postfix_active "$1")" = 0 ]; then
            sleep 0.5
            [ "$(lb_postfix_active "$1")" = 0 ] && return 0
        fi
        sleep 0.2
    done
    return 1
}

# lb_start_milter CONF: rampart-milter in the background; waits for its
# socket (a unix path or inet:HOST:PORT in the config).
lb_start_milter() {
    local conf=$1 pidfile sock
    "$LB_BUILD/milter/rampart-milter" -c "$conf" ||
        lb_die "rampart-milter did not start with $conf"
    pidfile=$(sed -n 's/.*pid_file *= *"\([^"]*\)".*/\1/p' "$conf" | head -n1)
    lb_wait_for 10 test -s "$pidfile" || lb_die "rampart-milter wrote no pid file $pidfile"
    LB_PIDS+=("$(cat "$pidfile")")
    sock=$(sed -n 's/.*socket *= *"unix:\([^"]*\)".*/\1/p' "$conf" | head -n1)
    if [ -n "$sock" ]; then
        lb_wait_for 10 test -S "$sock" || lb_die "no milter socket $sock"
    fi
}

lb_cleanup() {
    local d pid
    for d in "$LB_DIR"/postfix-*; do
        [ -d "$d" ] && lb_postfix_stop "${d##*/postfix-}"
    done
    for pid in "${LB_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    lb_wait_gone 10 "${LB_PIDS[@]}" ||
        lb_log "some of the processes ${LB_PIDS[*]} still run 10 s after SIGTERM"
    lb_stop_redis
    if [ -z "${LB_KEEP:-}" ] && [ -n "${LB_DIR:-}" ]; then
        rm -rf "$LB_DIR"
    fi
}

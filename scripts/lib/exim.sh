# shellcheck shell=bash
# A private Exim on loopback for the rampart-policyd tests, next to the
# servers of loopback.sh (source that file first).  Debian's exim4 packages
# conflict with postfix, so scripts/install-deps unpacks them into
# $EX_ROOT; the daemon runs from there with its own configuration (-C),
# spool and logs under $LB_DIR/exim-NAME, and relays everything to
# smtp-sink.  Its ACLs use the statements of contrib/exim/rampart.acl.

EX_ROOT=${RAMPART_EXIM_ROOT:-/opt/rampart-test/exim}
EX_BIN=$EX_ROOT/usr/sbin/exim4
EX_USER=Debian-exim
declare -A EX_PIDS=()

ex_dir() {
    echo "$LB_DIR/exim-$1"
}

ex_conf() {
    echo "$(ex_dir "$1")/exim.conf"
}

ex_mainlog() {
    echo "$(ex_dir "$1")/log/mainlog"
}

# ex_check: the unpacked Exim and its user exist.
ex_check() {
    [ -x "$EX_BIN" ] ||
        lb_die "no Exim at $EX_BIN; run scripts/install-deps as root to unpack it"
    getent passwd "$EX_USER" >/dev/null ||
        lb_die "no user $EX_USER; run scripts/install-deps as root to create it"
}

# ex_init NAME PORT POLICY: write an Exim configuration that listens on
# 127.0.0.1:PORT, asks rampart-policyd at POLICY (a unix socket path or
# inet:HOST:PORT) through contrib/exim/rampart.acl, and relays all mail to
# the smtp-sink of lb_start_sink.  ACL statements written to
# $(ex_dir NAME)/rcpt-after.acl run after the policy check of each RCPT.
ex_init() {
    local name=$1 port=$2 policy=$3 dir
    ex_check
    dir=$(ex_dir "$name")
    mkdir -p "$dir/spool" "$dir/log"
    touch "$dir/rcpt-after.acl"
    chown -R "$EX_USER:$EX_USER" "$dir/spool" "$dir/log"
    cat >"$(ex_conf "$name")" <<CONF
exim_path = $EX_BIN
exim_user = $EX_USER
exim_group = $EX_USER
spool_directory = $dir/spool
log_file_path = $dir/log/%slog
pid_file_path = $dir/exim.pid
primary_hostname = exim.rampart.test
qualify_domain = rampart.test
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $port
keep_environment =
tls_advertise_hosts =
host_lookup =
rfc1413_hosts =
smtp_accept_queue_per_connection = 0
smtp_accept_max = 100
# The reception process runs as $EX_USER.  An Exim that this user starts
# with -C drops privileges and writes to the panic log, so messages wait
# in the queue until ex_drain runs the queue as root.
queue_only = true
log_selector = +all -arguments
hostlist relay_from_hosts = <; 127.0.0.0/8 ; ::1
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

begin acl

RAMPART_POLICY = $policy
RAMPART_TIMEOUT = 5s
.include $LB_ROOT/contrib/exim/rampart.acl

acl_check_mail:
  require acl = rampart_mail
  accept

acl_check_rcpt:
  deny    !hosts = +relay_from_hosts
          message = relay not permitted
  require acl = rampart_rcpt
.include $dir/rcpt-after.acl
  accept

acl_check_data:
  require acl = rampart_data
  accept

begin routers

sink:
  driver = manualroute
  route_list = * 127.0.0.1
  transport = to_sink
  self = send
  no_more

begin transports

to_sink:
  driver = smtp
  port = ${LB_SINK_PORT:-2526}
  allow_localhost
  hosts_avoid_tls = *
  hosts_try_chunking = :
  hosts_try_fastopen = :

begin retry

*  *  F,1h,5m
CONF
}

# ex_start NAME: run the Exim daemon in the foreground (in the background
# of this shell) and wait until it accepts connections.
ex_start() {
    local name=$1 port
    port=$(sed -n 's/^daemon_smtp_ports = //p' "$(ex_conf "$name")")
    "$EX_BIN" -C "$(ex_conf "$name")" -bdf \
        >>"$(ex_dir "$name")/log/daemon.out" 2>&1 &
    EX_PIDS[$name]=$!
    LB_PIDS+=("$!")
    lb_wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" ||
        lb_die "Exim $name does not answer on port $port; see $(ex_dir "$name")/log"
}

# ex_stop NAME: SIGTERM and wait for the daemon to exit.
ex_stop() {
    local pid=${EX_PIDS[$1]:-}
    [ -n "$pid" ] || return 0
    unset "EX_PIDS[$1]"
    kill -TERM "$pid" 2>/dev/null || true
    lb_wait_gone 10 "$pid" || lb_log "Exim $1 (pid $pid) still runs 10 s after SIGTERM"
}

# ex_queue_count NAME: messages in the queue.
ex_queue_count() {
    "$EX_BIN" -C "$(ex_conf "$1")" -bpc
}

# ex_drain NAME SECONDS: deliver the queue and wait until it is empty.
ex_drain() {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        "$EX_BIN" -C "$(ex_conf "$1")" -qff >/dev/null 2>&1 || true
        [ "$(ex_queue_count "$1")" != 0 ] || return 0
        sleep 0.2
    done
    return 1
}

# ex_unwrap: join the lines of an Exim reply as smtp_session.py prints
# them ("TEXT / 4.7.1 MORE"): Exim wraps long replies and repeats the
# enhanced status code on each line.
ex_unwrap() {
    sed -E 's# / [245]\.[0-9]{1,3}\.[0-9]{1,3} # #g'
}

#!/bin/bash
# Protocol edges with miltertest(8) in place of an MTA (protocol_edges.lua):
# many messages on one milter connection, ABORT in the middle of a
# transaction, null and invalid senders, IDN recipients, missing macros,
# and a RCPT over the cap.  Then malformed data on the milter socket
# (milter_noise.py): after each kind the milter must still serve a new
# connection and count its message.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

BY_DAEMON=127.0.0.11
IDN=127.0.0.12
FULL=127.0.0.13
CATCH_ALL=127.0.0.14

lb_start_redis "$(t_port 1)"
t_conf milter 'header = "X-Rampart-Source";' <<CONF
sources = (
  { address = "$BY_DAEMON"; daily_cap = 1000; },
  { address = "$IDN"; daily_cap = 1000; },
  { address = "$FULL"; daily_cap = 2; },
  { address = "$CATCH_ALL"; daily_cap = 1000; }
);
routes = (
  { sender_domain = "bücher.example"; source = "$IDN"; },
  { sender_domain = "full.example"; source = "$FULL"; },
  { daemon_addr = "127.0.0.1"; source = "$BY_DAEMON"; },
  { source = "$CATCH_ALL"; }
);
CONF
t_start_milter milter
SOCKET=$(t_milter_socket milter)
milter_pid=${T_MILTER_PIDS[milter]}

# scenario NAME [SERIAL]: run one scenario of protocol_edges.lua.
scenario() {
    local out status=0
    out=$(timeout 60 miltertest -s "$T_DIR/protocol_edges.lua" \
        -D socket="$SOCKET" -D scenario="$1" -D serial="${2:-0}" 2>&1) || status=$?
    printf '%s\n' "$out" >>"$LB_DIR/miltertest.out"
    [ "$status" = 0 ] || t_fail "miltertest scenario $1 exited with status $status: $(tail -n 2 <<<"$out")"
}

scenario many
t_expect_counters "$BY_DAEMON" 40 80 0

scenario abort
t_expect_counters "$BY_DAEMON" 41 81 0

scenario senders
t_expect_counters "$CATCH_ALL" 6 6 0

scenario idn
t_expect_counters "$IDN" 1 2 0

scenario no_macros
t_expect_counters "$CATCH_ALL" 7 7 0
log=$(cat "$(t_milter_log milter)")
t_expect_match "rcpt decision without a queue id" "$log" \
    "^rampart-milter: NOQUEUE: action=accept stage=rcpt source=$CATCH_ALL .* to=<nomacro@example.net>$"
t_expect_match "eom decision without a queue id" "$log" \
    "^rampart-milter: NOQUEUE: action=accept stage=eom source=$CATCH_ALL unit=recipients count=7 charged=1 "

scenario over_cap
t_expect_counters "$FULL" 1 2 2

# --- malformed data on the socket -------------------------------------------------------
served=81
for kind in random truncated huge empty unknown early-rcpt silent; do
    python3 "$T_DIR/milter_noise.py" "$SOCKET" "$kind" >>"$LB_DIR/noise.out" 2>&1 ||
        t_fail "milter_noise.py $kind could not reach the milter: $(tail -n1 "$LB_DIR/noise.out")"
    lb_running "$milter_pid" || {
        t_fail "rampart-milter died after $kind data on its socket"
        break
    }
    scenario serve "$kind"
    served=$((served + 1))
    t_expect_eq "Redis recipients of $BY_DAEMON after $kind data" "$(t_counter "$BY_DAEMON" recipients)" "$served"
done
t_expect_counters "$IDN" 1 2 0
t_expect_counters "$FULL" 1 2 2
t_expect_counters "$CATCH_ALL" 7 7 0

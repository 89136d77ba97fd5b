#!/bin/bash
# rampart-policyd's side of the policy delegation protocol, checked with
# policy_client.py against two servers that share one Redis:
#
# "policyd" listens on a unix socket, 127.0.0.1 and [::1] at once.  It
# answers on each; keeps a connection for several requests; answers 100
# requests written at once, in order; reads requests that arrive one byte
# at a time; ignores unknown attributes; takes the first value of a
# repeated attribute but every rampart_recipient line; closes without a
# reply on a line over 4096 bytes or a malformed request (a line without
# "=", no or an unknown request=), and logs why, answering the requests
# before it but neither answering nor charging those after it; answers a
# client that half-closes (Exim's ${readsocket}), also without the final
# empty line, then closes; counts the pending recipients of an instance from the
# moment each check arrives, so 10 pipelined RCPTs get exactly the 7 a
# limit allows; drops the pending state of an instance when a new one
# starts on the connection; counts case and IDN spellings of a recipient
# once; trims the charge to recipient_count; replies over a limit with
# 450 4.7.1 naming the provider, the limit and the retry time; logs one
# decision line per answer; replies to every request of a client that
# writes 30 000 requests before reading; and still serves after
# malformed input.
#
# "limits" has idle_timeout = 2, max_connections = 4 and action =
# "DEFER_IF_PERMIT".  It closes a request over 32768 bytes without a
# reply, and an idle connection after 2 s but not a busy one.  From a
# client that pipelines and never reads, it takes a bounded number of
# requests and then closes the connection.  It closes a fifth connection
# at once, and replies over a limit with its action.
set -euo pipefail
# shellcheck source=policy_lib.sh
. "$(dirname "$0")/policy_lib.sh"
t_policy_init "$@"

TCP_PORT=$(t_port 10)
MAIN=unix:$LB_DIR/run/policyd.sock
LIMITS=unix:$LB_DIR/run/limits.sock

lb_start_redis "$(t_port 1)"
t_avoid_hour_edge

common_conf() {
    cat <<CONF
sources = ( { address = "$T_SOURCE"; daily_cap = 100000; } );
routes = ( { source = "$T_SOURCE"; } );
CONF
}

{
    common_conf
    cat <<'CONF'
providers = (
  { name = "gmail"; domains = ["gmail.com"]; },
  { name = "pipe";  domains = ["pipe.test"]; },
  { name = "p0"; domains = ["p0.test"]; }, { name = "p1"; domains = ["p1.test"]; },
  { name = "p2"; domains = ["p2.test"]; }, { name = "p3"; domains = ["p3.test"]; },
  { name = "p4"; domains = ["p4.test"]; },
  { name = "swap"; domains = ["swap.test"]; },
  { name = "trim"; domains = ["trim.test"]; },
  { name = "list"; domains = ["list.test"]; }
);
domain_limits = (
  { provider = "gmail"; per_hour = 3; },
  { provider = "pipe"; per_day = 7; },
  { provider = "p0"; per_day = 1; }, { provider = "p1"; per_day = 1; },
  { provider = "p2"; per_day = 1; }, { provider = "p3"; per_day = 1; },
  { provider = "p4"; per_day = 1; },
  { provider = "swap"; per_day = 2; },
  { provider = "trim"; per_day = 10; },
  { provider = "list"; per_day = 10; },
  { provider = "*"; per_day = 50; }
);
CONF
} | t_policy_conf policyd "socket = [\"$MAIN\", \"inet:127.0.0.1:$TCP_PORT\", \"inet:[::1]:$TCP_PORT\"];"

{
    common_conf
    cat <<'CONF'
providers = ( { name = "capped"; domains = ["capped.test"]; } );
domain_limits = ( { provider = "capped"; per_day = 1; } );
CONF
} | t_policy_conf limits 'idle_timeout = 2; max_connections = 4; action = "DEFER_IF_PERMIT";'

t_start_policyd policyd
t_start_policyd limits
MAIN_LOG=$(t_policy_log policyd)
LIMITS_LOG=$(t_policy_log limits)

# --- sockets: unix, IPv4 and IPv6 at once ----------------------------------------
for endpoint in "$MAIN" "inet:127.0.0.1:$TCP_PORT" "inet:[::1]:$TCP_PORT"; do
    out=$(t_rcpt "socket-$endpoint" "someone@sockets.test" | t_policy session "$endpoint")
    t_expect_eq "reply on $endpoint" "$(head -n1 <<<"$out")" "action=DUNNO"
done

# --- connection reuse ------------------------------------------------------------------
out=$({
    t_req CONNECT reuse
    t_rcpt reuse first@reuse.test
    t_eom reuse
} | t_policy session "$MAIN" --check-open)
t_expect_eq "replies to 3 requests on one connection" "$(t_count_lines "$out" '^action=DUNNO$')" 3
t_expect_eq "connection after 3 requests" "$(tail -n1 <<<"$out")" open
t_expect_eq "Redis charge of the reused connection" "$(t_policy_counter reuse.test day)" 1

# --- 100 pipelined requests, answered in order ------------------------------------------
# Fill p0..p4 (per_day = 1) first.  Then even requests are CONNECT, which
# policyd answers at once, and odd ones are RCPTs to p0..p4 in turn, which
# wait for Redis and are refused naming their provider: a reply out of
# order shows as a wrong provider or a DUNNO in the wrong place.
for k in 0 1 2 3 4; do
    out=$({
        t_rcpt "fill-$k" "fill@p$k.test"
        t_eom "fill-$k"
    } | t_policy session "$MAIN")
    t_expect_eq "Redis charge of p$k before the pipeline" "$(t_policy_counter "p$k" day)" 1
done
expected=""
requests=""
for i in $(seq 0 99); do
    if [ $((i % 2)) = 0 ]; then
        requests+=$(t_req CONNECT "order-$i")$'\n\n'
        expected+="action=DUNNO"$'\n'
    else
        k=$(((i / 2) % 5))
        requests+=$(t_rcpt "order-$i" "user$i@p$k.test")$'\n\n'
        expected+="action=450 4.7.1 $T_SOURCE limit for p$k: 1 recipients per day reached, retry after 00:00 UTC"$'\n'
    fi
done
out=$(t_policy session "$MAIN" --pipeline <<<"$requests")
t_expect_eq "replies to 100 pipelined requests" "$(grep -c '^action=' <<<"$out" || true)" 100
t_expect_eq "the 100 replies in request order" "$(grep '^action=' <<<"$out")" "${expected%$'\n'}"
for k in 0 1 2 3 4; do
    t_expect_eq "Redis charge of p$k after the refused pipeline" "$(t_policy_counter "p$k" day)" 1
done

# --- pipelined RCPTs cannot slip past a limit ------------------------------------------
requests=""
for i in $(seq 1 10); do
    requests+=$(t_rcpt slip "user$i@pipe.test")$'\n\n'
done
out=$(t_policy session "$MAIN" --pipeline <<<"$requests")
t_expect_eq "pipelined RCPTs allowed under per_day = 7" "$(t_count_lines "$out" '^action=DUNNO$')" 7
t_expect_eq "pipelined RCPTs refused over per_day = 7" "$(t_count_lines "$out" '^action=450 4\.7\.1 ')" 3
t_expect_eq "first 7 pipelined replies" "$(grep '^action=' <<<"$out" | head -n7 | sort -u)" "action=DUNNO"
out=$(t_eom slip | t_policy session "$MAIN")
t_expect_eq "reply to the charge of the 7" "$(head -n1 <<<"$out")" "action=DUNNO"
t_expect_eq "Redis charge after 10 pipelined RCPTs" "$(t_policy_counter pipe day)" 7

# An END-OF-MESSAGE without recipient_count written right behind its
# RCPTs, before their answers: it must charge the 3 recipients the checks
# allow (trim.test has room for 3).
redis-cli -p "$LB_REDIS_PORT" del "$(t_policy_key trim day)" >/dev/null
requests=""
for i in $(seq 1 4); do
    requests+=$(t_rcpt eom-behind "user$i@trim.test")$'\n\n'
done
requests+=$(t_eom eom-behind)$'\n\n'
redis-cli -p "$LB_REDIS_PORT" hset "$(t_policy_key trim day)" recipients 7 >/dev/null
out=$(t_policy session "$MAIN" --pipeline <<<"$requests")
t_expect_eq "RCPT replies before a pipelined END-OF-MESSAGE" \
    "$(grep '^action=' <<<"$out" | head -n4 | cut -c1-14 | tr '\n' ' ')" \
    "action=DUNNO action=DUNNO action=DUNNO action=450 4.7 "
t_expect_eq "reply to an END-OF-MESSAGE pipelined behind its RCPTs" \
    "$(grep '^action=' <<<"$out" | sed -n 5p)" "action=DUNNO"
t_expect_eq "Redis charge of an END-OF-MESSAGE pipelined behind its RCPTs" \
    "$(t_policy_counter trim day)" 10
redis-cli -p "$LB_REDIS_PORT" del "$(t_policy_key trim day)" >/dev/null

# --- requests split into single bytes ---------------------------------------------------
out=$({
    t_rcpt split one@split.test
    t_rcpt split two@split.test
    t_eom split
} | t_policy session "inet:127.0.0.1:$TCP_PORT" --split)
t_expect_eq "replies to requests sent byte by byte" "$(t_count_lines "$out" '^action=DUNNO$')" 3
t_expect_eq "Redis charge of the requests sent byte by byte" "$(t_policy_counter split.test day)" 2

# --- unknown attributes are ignored ---------------------------------------------------
out=$({
    t_rcpt unknown a@unknown.test x_custom=1 ccert_subject=somebody "policy_context=a b c"
    t_eom unknown "future_attribute=with=equals"
} | t_policy session "$MAIN")
t_expect_eq "replies with unknown attributes" "$(t_count_lines "$out" '^action=DUNNO$')" 2
t_expect_eq "Redis charge with unknown attributes" "$(t_policy_counter unknown.test day)" 1

# --- repeated attributes: the first value counts ----------------------------------------
# p0 is full, so a decision on the first recipient defers and one on the
# second (a domain under the "*" limit) would not.
out=$(t_policy session "$MAIN" <<EOF
request=smtpd_access_policy
protocol_state=RCPT
instance=repeat
client_address=127.0.0.1
recipient=first@p0.test
recipient=second@repeat.test
protocol_state=END-OF-MESSAGE
request=something_else
instance=other

EOF
)
t_expect_match "reply to repeated attributes" "$out" "^action=450 4\.7\.1 $T_SOURCE limit for p0: "
t_expect_eq "Redis count of the repeated recipient" "$(t_policy_counter repeat.test day)" 0

# --- rampart_recipient lists each accepted recipient ------------------------------------
# Five lines, two of them spellings of one address (case), and an IDN
# domain as U-label and as A-label: 3 on list.test, 1 on the IDN domain.
out=$(t_eom exim-list "recipient_count=6" rampart_recipient=a@list.test \
    rampart_recipient=b@list.test rampart_recipient=B@List.Test \
    rampart_recipient=c@list.test "rampart_recipient=user@bücher.example" \
    rampart_recipient=user@xn--bcher-kva.example | t_policy session "$MAIN")
t_expect_eq "reply to the rampart_recipient charge" "$(head -n1 <<<"$out")" "action=DUNNO"
t_expect_eq "Redis charge of list.test from rampart_recipient" "$(t_policy_counter list day)" 3
t_expect_eq "Redis charge of the IDN domain from rampart_recipient" \
    "$(t_policy_counter xn--bcher-kva.example day)" 1

# --- duplicates at RCPT: case and IDN spellings count once ------------------------------
out=$({
    t_rcpt dup User@Dup.Test
    t_rcpt dup user@dup.test
    t_rcpt dup "x@düsseldorf.example"
    t_rcpt dup x@xn--dsseldorf-q9a.example
    t_eom dup recipient_count=4
} | t_policy session "$MAIN")
t_expect_eq "replies to duplicate recipients" "$(t_count_lines "$out" '^action=DUNNO$')" 5
t_expect_eq "Redis charge of a recipient in two cases" "$(t_policy_counter dup.test day)" 1
t_expect_eq "Redis charge of a recipient as U-label and A-label" \
    "$(t_policy_counter xn--dsseldorf-q9a.example day)" 1

# --- a new instance on the connection drops the old pending state ----------------------
out=$({
    t_rcpt swap-a a@swap.test
    t_rcpt swap-a b@swap.test
    t_rcpt swap-b c@swap.test
    t_eom swap-a recipient_count=2
    t_eom swap-b recipient_count=1
} | t_policy session "$MAIN")
t_expect_eq "replies after a new instance on the connection" "$(t_count_lines "$out" '^action=DUNNO$')" 5
t_expect_eq "Redis charge after a new instance (per_day = 2)" "$(t_policy_counter swap day)" 1

# --- the charge is trimmed to recipient_count -------------------------------------------
out=$({
    t_rcpt trim a@trim.test
    t_rcpt trim b@trim.test
    t_rcpt trim c@trim.test
    t_eom trim recipient_count=2
} | t_policy session "$MAIN")
t_expect_eq "replies to the trimmed transaction" "$(t_count_lines "$out" '^action=DUNNO$')" 4
t_expect_eq "Redis charge of 3 allowed recipients with recipient_count=2" "$(t_policy_counter trim day)" 2

# --- over a limit: 450 4.7.1 with the provider, limit and retry time ---------------------
next_hour=$(date -u -d "@$((($(date +%s) / 3600 + 1) * 3600))" +%H:00)
out=$({
    for i in 1 2 3 4; do
        t_rcpt gmail-over "user$i@gmail.com"
    done
    t_eom gmail-over recipient_count=3
} | t_policy session "$MAIN")
t_expect_eq "RCPT replies under gmail per_hour = 3" "$(head -n3 <<<"$out" | sort -u)" "action=DUNNO"
t_expect_eq "RCPT reply over gmail per_hour = 3" "$(sed -n 4p <<<"$out")" \
    "action=450 4.7.1 $T_SOURCE limit for gmail: 3 recipients per hour reached, retry after $next_hour UTC"
t_expect_eq "END-OF-MESSAGE reply for gmail" "$(sed -n 5p <<<"$out")" "action=DUNNO"
t_expect_eq "Redis hourly gmail recipients" "$(t_policy_counter gmail hour)" 3
t_expect_eq "Redis hourly gmail messages" "$(t_policy_counter gmail hour messages)" 1

# --- decision lines in the log ------------------------------------------------------------
gmail_key="rampart:\\{$T_SOURCE\\}:policy:gmail:hour:$(date -u +%FT%H)"
log=$(cat "$MAIN_LOG")
t_expect_match "log line of an allowed RCPT" "$log" \
    "NOQUEUE: action=dunno stage=rcpt source=$T_SOURCE .* key=$gmail_key instance=gmail-over client=127\\.0\\.0\\.1 from=<sender@rampart\\.test> to=<user1@gmail\\.com>"
t_expect_match "log line of a refused RCPT" "$log" \
    "NOQUEUE: action=defer stage=rcpt source=$T_SOURCE .* scope=gmail key=$gmail_key instance=gmail-over .*to=<user4@gmail\\.com>"
t_expect_match "log line of the charge" "$log" \
    "Qgmailover: action=dunno stage=eom source=$T_SOURCE .* charged=3 .* key=$gmail_key instance=gmail-over "

# --- oversize lines ---------------------------------------------------------------------
out=$(python3 -c 'import sys; sys.stdout.write("request=smtpd_access_policy\nx=" + "a" * 4094 + "\n\n")' |
    t_policy raw "$MAIN" --timeout 2)
t_expect_eq "replies to a line of 4096 bytes" "$(head -n1 <<<"$out")" "replies=1"
t_expect_eq "connection after a line of 4096 bytes" "$(tail -n1 <<<"$out")" "closed_ms=none"
out=$(python3 -c 'import sys; sys.stdout.write("request=smtpd_access_policy\nx=" + "a" * 4095 + "\n\n")' |
    t_policy raw "$MAIN" --timeout 5)
t_expect_eq "replies to a line of 4097 bytes" "$(head -n1 <<<"$out")" "replies=0"
t_expect_match "connection after a line of 4097 bytes" "$out" "^closed_ms=[0-9]+$"
# The first protocol error within 60 s is logged; the later ones are
# counted and reported once a minute.
t_expect_match "log of the line of 4097 bytes" "$(cat "$MAIN_LOG")" \
    "closing policy connection from unix: line longer than 4096 bytes"

# --- malformed requests -----------------------------------------------------------------
malformed=(
    $'request=smtpd_access_policy\nprotocol_state=RCPT\nno equals sign\n\n'
    $'protocol_state=RCPT\nrecipient=a@b.test\n\n'
    $'request=smtpd_policy_other\nprotocol_state=RCPT\n\n'
    $'request=smtpd_access_policy\n=value without a name\n\n'
)
reasons=(
    'line "no equals sign" is not name=value'
    'request attribute missing'
    'unknown request "smtpd_policy_other"'
    'line "=value without a name" is not name=value'
)
for i in "${!malformed[@]}"; do
    out=$(printf '%s' "${malformed[$i]}" | t_policy raw "$MAIN" --timeout 5)
    t_expect_eq "replies to malformed request $i" "$(head -n1 <<<"$out")" "replies=0"
    t_expect_match "connection after malformed request $i" "$out" "^closed_ms=[0-9]+$"
    t_expect_match "log of malformed request $i" "$(cat "$MAIN_LOG")" \
        "malformed policy request from unix: ${reasons[$i]}; closing the connection without a reply"
done
# A malformed request behind a good one: the good one is answered first.
out=$(printf '%s' "$(t_req CONNECT before-bad)"$'\n\nnot a pair\n\n' | t_policy raw "$MAIN" --timeout 5)
t_expect_eq "replies before a malformed request" "$(head -n1 <<<"$out")" "replies=1"
t_expect_match "connection after the malformed request" "$out" "^closed_ms=[0-9]+$"
# A transaction behind a malformed request is neither answered nor charged.
requests=$(t_rcpt ahead x@behind.test)$'\n\n'$(t_eom ahead recipient_count=1)$'\n\nnot a pair\n\n'
requests+=$(t_rcpt behind y@behind.test)$'\n\n'$(t_eom behind recipient_count=1)$'\n\n'
out=$(printf '%s' "$requests" | t_policy raw "$MAIN" --timeout 5)
t_expect_eq "replies around a malformed request" "$(head -n1 <<<"$out")" "replies=2"
t_expect_eq "Redis charge around a malformed request" "$(t_policy_counter behind.test day)" 1

# A client that writes 30 000 requests before it reads: policyd pauses
# reading at 64 KiB of unread replies, resumes once they are read, and
# answers every request, also after a half-close.
out=$(t_policy lateread "$MAIN" 30000 --wait 2 </dev/null)
t_expect_eq "replies to a client that reads late" "$(head -n1 <<<"$out")" "replies=30000"
t_expect_eq "connection of a client that reads late" "$(tail -n1 <<<"$out")" open
out=$(t_policy lateread "$MAIN" 30000 --wait 2 --half-close </dev/null)
t_expect_eq "replies to a half-closed client that reads late" "$(head -n1 <<<"$out")" "replies=30000"
t_expect_eq "connection of a half-closed client that reads late" "$(tail -n1 <<<"$out")" closed
# Over TCP, with a line over 4096 bytes behind the requests: unread input
# is left when policyd closes.  A plain close would reset the connection
# and drop replies still on their way, so every reply must arrive.
out=$(t_policy lateread "inet:127.0.0.1:$TCP_PORT" 30000 --wait 2 --overlong </dev/null)
t_expect_eq "replies before an overlong line" "$(head -n1 <<<"$out")" "replies=30000"
t_expect_eq "close after an overlong line" "$(tail -n1 <<<"$out")" closed
# RCPT checks wait for Redis, so their replies are not ready yet when the
# protocol error behind them is read: they must still go out, in order,
# before the close.
rcpts=""
for i in $(seq 1 50); do
    rcpts+=$(t_rcpt "inflight-$i" "u$i@inflight.test")$'\n\n'
done
for error in line request; do
    out=$({
        printf '%s' "$rcpts"
        python3 -c 'import sys
if sys.argv[1] == "line":
    sys.stdout.write("request=smtpd_access_policy\nx=" + "a" * 5000 + "\n\n")
else:
    sys.stdout.write("request=smtpd_access_policy\n" + ("x=" + "a" * 4000 + "\n") * 10 + "\n")' "$error"
    } | t_policy raw "inet:127.0.0.1:$TCP_PORT" --timeout 5)
    t_expect_eq "RCPT replies before an overlong $error" "$(head -n1 <<<"$out")" "replies=50"
    t_expect_match "close after RCPTs and an overlong $error" "$out" "^closed_ms=[0-9]+$"
done

# --- Exim style: one request, half-close, reply, close ----------------------------------
for variant in with-empty-line no-empty-line; do
    flag=""
    [ "$variant" = with-empty-line ] || flag=--no-final-empty
    out=$(t_rcpt "exim-$variant" "x@halfclose.test" |
        t_policy session "$MAIN" --half-close $flag)
    t_expect_eq "reply after half-close ($variant)" "$(head -n1 <<<"$out")" "action=DUNNO"
    t_expect_eq "connection after the half-close reply ($variant)" "$(tail -n1 <<<"$out")" closed
    t_expect_eq "lines after half-close ($variant)" "$(wc -l <<<"$out")" 2
done

# --- garbage, then a normal request -------------------------------------------------------
out=$(t_policy garbage "$MAIN" 40)
t_expect_eq "garbage connections closed without a reply" "$out" \
    "connections=40 closed_without_reply=40"
out=$(t_rcpt after-garbage x@after.test | t_policy session "$MAIN")
t_expect_eq "reply after garbage" "$(head -n1 <<<"$out")" "action=DUNNO"
t_policyd_running policyd || t_fail "rampart-policyd died on garbage; see $MAIN_LOG"

# --- "limits": request size, idle timeout, max_connections, action -----------------------
# A request of exactly 32768 bytes is answered; one more byte closes.
request_of() {
    python3 - "$1" <<'PY'
import sys
size = int(sys.argv[1])
head = "request=smtpd_access_policy\nprotocol_state=CONNECT\n"
body = ""
while len(head) + len(body) < size:
    room = size - len(head) - len(body)
    body += "x=" + "a" * min(1000, max(room - 3, 0)) + "\n"
sys.stdout.write(head + body + "\n")
PY
}
out=$(request_of 32768 | t_policy raw "$LIMITS" --timeout 2)
t_expect_eq "replies to a request of 32768 bytes" "$(head -n1 <<<"$out")" "replies=1"
out=$(request_of 32769 | t_policy raw "$LIMITS" --timeout 5)
t_expect_eq "replies to a request of 32769 bytes" "$(head -n1 <<<"$out")" "replies=0"
t_expect_match "connection after a request of 32769 bytes" "$out" "^closed_ms=[0-9]+$"
t_expect_match "log of the request of 32769 bytes" "$(cat "$LIMITS_LOG")" \
    "closing policy connection from unix: request longer than 32768 bytes"

out=$(t_policy idle "$LIMITS" --timeout 10)
ms=${out#closed_ms=}
[[ $ms =~ ^[0-9]+$ ]] || ms=99999
t_expect_ge "milliseconds until an idle connection is closed (idle_timeout = 2)" "$ms" 1800
t_expect_le "milliseconds until an idle connection is closed (idle_timeout = 2)" "$ms" 3500
out=$(t_policy keepalive "$LIMITS" 4 --interval 1.2)
t_expect_eq "replies on a connection busy past idle_timeout" "$(head -n1 <<<"$out")" "replies=4"
t_expect_eq "busy connection after 3.6 s (idle_timeout = 2)" "$(tail -n1 <<<"$out")" open

# A client that pipelines and never reads: policyd stops reading once 64 KiB
# of replies wait, and closes the connection after idle_timeout.
out=$(t_policy noread "$LIMITS" --timeout 5 --wait 4 --pid "${T_POLICYD_PIDS[limits]}" </dev/null)
t_log "requests written by a client that never reads: $(head -n1 <<<"$out")"
t_expect_eq "policyd reading from a client that never reads" "$(sed -n 2p <<<"$out")" stalled
# 64 KiB of replies and the socket buffers hold some 30 000 requests.
t_expect_le "requests policyd took from a client that never reads" "$(sed -n 's/^sent=//p' <<<"$out")" 100000
# Resident memory is only logged: a sanitizer build's own is larger.
t_log "policyd with a client that never reads: $(grep '^rss_kb=' <<<"$out")"
t_expect_eq "connection of a client that never reads (idle_timeout = 2)" "$(tail -n1 <<<"$out")" closed

out=$(t_policy maxconn "$LIMITS" 4)
t_expect_eq "connections served up to max_connections = 4" "$(sed -n 1p <<<"$out")" "served=4"
t_expect_eq "connection over max_connections" "$(sed -n 2p <<<"$out")" "extra=closed"
t_expect_eq "connection after one of 4 closed" "$(sed -n 3p <<<"$out")" "after_close=served"
t_expect_match "log of the refused connection" "$(cat "$LIMITS_LOG")" \
    "refusing a policy connection: 4 open, max_connections is 4"

out=$({
    t_rcpt capped a@capped.test
    t_rcpt capped b@capped.test
} | t_policy session "$LIMITS")
t_expect_eq "reply over a limit with action = DEFER_IF_PERMIT" "$(sed -n 2p <<<"$out")" \
    "action=DEFER_IF_PERMIT $T_SOURCE limit for capped: 1 recipients per day reached, retry after 00:00 UTC"

#!/usr/bin/env bash
# test_rampartctl.sh - run every rampartctl command against a private
# redis-server and check its output, its exit status and the Redis keys.
#
# Usage: test_rampartctl.sh RAMPARTCTL [REDIS_SERVER]
#
# The redis-server listens only on a unix socket in a temp dir, which is
# removed at the end.  The clock is pinned with test_clock_offset, so the
# test needs a build made with -DRAMPART_TESTING=ON; other builds skip it
# (exit status 77).
set -euo pipefail

ctl=${1:?usage: test_rampartctl.sh RAMPARTCTL [REDIS_SERVER]}
redis_server=${2:-redis-server}
redis_cli=$(dirname "$(command -v "$redis_server")")/redis-cli
[[ -x $redis_cli ]] || redis_cli=$(command -v redis-cli)

dir=$(mktemp -d "${TMPDIR:-/tmp}/rampartctl-test.XXXXXX")
sock=$dir/redis.sock
redis_pid=
failures=0

cleanup() {
    if [[ -n $redis_pid ]]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS...: run rampartctl with the test config and
# keep its output in $dir/out and $dir/err.
run() {
    local expected=$1 status=0
    shift
    "$ctl" -c "$conf" "$@" >"$dir/out" 2>"$dir/err" || status=$?
    if [[ $status != "$expected" ]]; then
        fail "rampartctl $* exited $status, expected $expected;" \
            "stdout: $(cat "$dir/out"); stderr: $(cat "$dir/err")"
    fi
}

# out_has / err_has TEXT: the last run printed TEXT (a fixed string).
out_has() {
    grep -qF -- "$1" "$dir/out" ||
        fail "stdout lacks \"$1\"; it was: $(cat "$dir/out")"
}
err_has() {
    grep -qF -- "$1" "$dir/err" ||
        fail "stderr lacks \"$1\"; it was: $(cat "$dir/err")"
}

rcli() {
    "$redis_cli" -s "$sock" "$@"
}

# field_is KEY FIELD EXPECTED: HGET KEY FIELD returns EXPECTED.
field_is() {
    local value
    value=$(rcli HGET "$1" "$2")
    [[ $value == "$3" ]] || fail "HGET $1 $2 is \"$value\", expected \"$3\""
}

# ends_in KEY FIELD SECONDS: the time in FIELD lies SECONDS (give or take
# 10) after the test clock's start.
ends_in() {
    local until ahead
    until=$(rcli HGET "$1" "$2")
    ahead=$((until - now - offset))
    [[ $ahead -ge $(($3 - 10)) && $ahead -le $(($3 + 10)) ]] ||
        fail "$1 $2 is $until, $ahead seconds ahead, expected $3"
}

# The clock reads 2027-03-10 12:00 UTC, a Wednesday, while the test runs.
now=$(date +%s)
offset=$(($(date -u -d '2027-03-10 12:00:00' +%s) - now))
today=2027-03-10
yesterday=2027-03-09

write_conf() {
    local on_block=$1
    cat >"$dir/rampart.conf" <<EOF
timezone = "UTC";
count = "recipients";
test_clock_offset = ${offset}L;
redis = { address = "unix:$sock"; prefix = "t"; retention_days = 7; };
ramp = {
  advance_min_use = 0.5;
  max_bounce_rate = 0.1;
  max_complaint_rate = 0.01;
  on_block = "$on_block";
  block_step_down = 2;
  block_pause_hours = 24;
  history = 20;
};
schedules = {
  slow = { per_day = [100, 200, 400, 800]; };
  fast = { start = 1000; factor = 2.0; target = 100000; };
};
providers = (
  { name = "gmail"; domains = ["gmail.com"]; },
  { name = "yahoo"; suffixes = [".yahoo.com"]; }
);
provider_ramps = (
  { provider = "gmail"; share = 0.5; },
  { provider = "default"; share = 0.8; }
);
sources = (
  { address = "192.0.2.10"; schedule = "slow"; start = "2027-03-01"; },
  { address = "2001:db8::10"; schedule = "fast"; start = "2027-04-01";
    step = 3; },
  { address = "198.51.100.7"; daily_cap = 5000;
    pacing = { enabled = true; send_hours = "08:00-20:00"; per_hour = 900; }; }
);
routes = ( { source = "192.0.2.10"; } );
EOF
}

conf=$dir/rampart.conf
write_conf step_down
if ! "$ctl" -c "$conf" check >/dev/null 2>"$dir/err"; then
    if grep -qF "test_clock_offset works only in test builds" "$dir/err"; then
        echo "SKIP: $ctl rejects test_clock_offset; build with" \
            "-DRAMPART_TESTING=ON"
        exit 77
    fi
    echo "rampartctl check failed: $(cat "$dir/err")" >&2
    exit 1
fi

"$redis_server" --port 0 --unixsocket "$sock" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" &
redis_pid=$!
for _ in $(seq 100); do
    rcli PING >/dev/null 2>&1 && break
    sleep 0.1
done
rcli PING >/dev/null || { echo "redis-server did not start" >&2; exit 1; }

export USER=tester
unset SUDO_USER

echo "check and help"
run 0 check
out_has "configuration OK"
run 0 pause --help
out_has "usage: rampartctl [-c FILE] pause SOURCE"
out_has "--reason TEXT"
run 64 bogus
err_has 'unknown command "bogus"'
run 64 status --bogus
err_has "unknown option --bogus"

echo "status before any state"
run 0 status
out_has "SOURCE"
grep -qE '^192\.0\.2\.10 +slow +1 +100 +0 +0 +100 +no state$' "$dir/out" ||
    fail "status row of 192.0.2.10: $(cat "$dir/out")"
grep -qE '^  gmail +share 50% +1 +50 ' "$dir/out" ||
    fail "status row of the gmail ramp: $(cat "$dir/out")"
grep -qE '^2001:db8::10 +fast +3 +4000 +0 +0 +0 +not started, no state$' \
    "$dir/out" || fail "status row of 2001:db8::10: $(cat "$dir/out")"
grep -qE '^198\.51\.100\.7 +fixed +- +5000 ' "$dir/out" ||
    fail "status row of 198.51.100.7: $(cat "$dir/out")"
[[ $(rcli DBSIZE) == 0 ]] || fail "status wrote to Redis"

echo "source spellings and unknown sources"
run 0 status '[2001:DB8:0::10]'
out_has "2001:db8::10"
run 0 status IPv6:2001:db8::10
out_has "2001:db8::10"
run 64 status 192.0.2.99
err_has "192.0.2.99 is not a configured source"
err_has "192.0.2.10, 2001:db8::10, 198.51.100.7"
run 64 show not-an-ip
err_has 'invalid source "not-an-ip"'

echo "explain writes nothing"
run 0 explain 192.0.2.10 --rcpt a@gmail.com --rcpt A@Gmail.COM \
    --rcpt b@example.org --rcpt c@mail.yahoo.com
out_has "192.0.2.10: accept"
out_has "message: 3 recipients; provider ramps: gmail 1, default 1"
out_has "step 1, cap 100 recipients today, 0 used, 97 left after this message"
[[ $(rcli DBSIZE) == 0 ]] || fail "explain wrote $(rcli KEYS '*')"
run 0 explain 2001:db8::10 --recipients 5
out_has "2001:db8::10: defer"
out_has "reply: 451 4.7.1 2001:db8::10 warm-up starts 2027-04-01"
out_has "why: the warm-up has not started yet"
run 0 explain 198.51.100.7
out_has "fixed daily cap 5000 recipients, 0 used, 4999 left"
run 0 explain 192.0.2.10 --recipients 101
out_has "192.0.2.10: defer"
out_has "daily cap 100 reached"
run 64 explain 192.0.2.10 --recipients 2 --rcpt a@gmail.com
err_has "not both"
run 64 explain 192.0.2.10 --rcpt 'bad@@'
err_has 'invalid --rcpt address "bad@@"'
run 64 explain 192.0.2.10 --recipients 0
err_has 'invalid --recipients "0"'
[[ $(rcli DBSIZE) == 0 ]] || fail "explain wrote $(rcli KEYS '*')"

echo "enroll"
run 0 enroll 192.0.2.10 --schedule fast --start 2027-03-05 --step 2
out_has "192.0.2.10: enrolled on schedule fast from 2027-03-05 at step 2"
out_has "(it had no state)"
field_is 't:{192.0.2.10}:ramp' schedule fast
field_is 't:{192.0.2.10}:ramp' start 2027-03-05
field_is 't:{192.0.2.10}:ramp' step 2
entry="enroll schedule=fast start=2027-03-05 step=2 [rampartctl by tester]"
rcli LINDEX 't:{192.0.2.10}:ramp:log' 0 | grep -qF "$today $entry" ||
    fail "enroll log: $(rcli LRANGE 't:{192.0.2.10}:ramp:log' 0 -1)"
run 0 status 192.0.2.10
grep -qE '^192\.0\.2\.10 +fast +2 +2000 ' "$dir/out" ||
    fail "status after enroll: $(cat "$dir/out")"
SUDO_USER="admin" run 0 enroll 192.0.2.10
out_has "enrolled on schedule slow from 2027-03-01 at step 1 (it was at step 2)"
rcli LINDEX 't:{192.0.2.10}:ramp:log' 0 | grep -qF "[rampartctl by admin]" ||
    fail "the log note does not name SUDO_USER"
run 64 enroll 192.0.2.10 --schedule nope
err_has "--schedule nope: no schedule of that name"
err_has "slow, fast"
run 64 enroll 192.0.2.10 --fixed
err_has "give it a daily_cap there first"
run 64 enroll 192.0.2.10 --schedule slow --fixed
err_has "give --schedule or --fixed, once"
run 64 enroll 192.0.2.10 --start 2027-02-30
err_has 'invalid --start date "2027-02-30"'
run 64 enroll 192.0.2.10 --step 0
err_has 'invalid --step "0": give a whole number from 1 to 100000'
run 64 enroll 198.51.100.7 --fixed --step 2
err_has "--step applies only to a schedule"
run 0 enroll 198.51.100.7 --fixed
out_has "enrolled with the fixed daily cap"
field_is 't:{198.51.100.7}:ramp' schedule ''

echo "pause and resume"
run 0 pause 192.0.2.10 --for 2h --reason "complaints from example.net"
out_has "192.0.2.10: paused, all mail is deferred, until 2027-03-10 14:00 UTC"
field_is 't:{192.0.2.10}:ramp' paused 1
field_is 't:{192.0.2.10}:ramp' paused_reason "complaints from example.net"
ends_in 't:{192.0.2.10}:ramp' paused_until 7200
run 0 status 192.0.2.10
grep -qE '^192\.0\.2\.10 +slow +1 +100 +0 +0 +0 +paused, no decision today$' \
    "$dir/out" || fail "status while paused: $(cat "$dir/out")"
run 0 explain 192.0.2.10
out_has "reply: 451 4.7.1 192.0.2.10 paused: complaints from example.net"
run 0 metrics
out_has 'rampart_paused{source="192.0.2.10"} 1'
run 0 resume 192.0.2.10
out_has "192.0.2.10: resumed"
[[ $(rcli HEXISTS 't:{192.0.2.10}:ramp' paused) == 0 ]] ||
    fail "resume left the paused field"
run 0 pause 192.0.2.10 --provider gmail --until '2027-03-11 08:30' \
    --reason "gmail 421"
out_has "192.0.2.10 provider gmail: paused, its recipients are deferred,"
out_has "until 2027-03-11 08:30 UTC: gmail 421"
field_is 't:{192.0.2.10}:ramp:gmail' paused_until \
    "$(date -u -d '2027-03-11 08:30:00' +%s)"
run 0 explain 192.0.2.10 --rcpt x@gmail.com
out_has "paused: gmail: gmail 421"
run 0 explain 192.0.2.10 --rcpt x@example.org
out_has "192.0.2.10: accept"
run 0 resume 192.0.2.10 --provider gmail
run 64 pause 192.0.2.10 --for 2h
err_has "give --reason TEXT"
run 64 pause 192.0.2.10 --for 5x --reason r
err_has 'invalid --for duration "5x"'
run 64 pause 192.0.2.10 --until '2027-03-01 10:00' --reason r
err_has "is not in the future"
run 64 pause 192.0.2.10 --until 'tomorrow' --reason r
err_has "invalid --until time \"tomorrow\""
run 64 pause 192.0.2.10 --for 1h --until '2027-04-01 10:00' --reason r
err_has "give --for or --until, not both"
run 64 pause 192.0.2.10 --reason '50% off'
err_has "other than '%'"
run 64 pause 192.0.2.10 --provider yahoo --reason r
err_has "--provider yahoo: no provider ramp of that name"
err_has "gmail, default"
run 64 resume 192.0.2.10 --reason r
err_has "apply only to pause and hold"

echo "hold and release"
run 0 hold 192.0.2.10 --reason "waiting for postmaster tools"
out_has "held at its step until rampartctl release"
field_is 't:{192.0.2.10}:ramp' held 1
field_is 't:{192.0.2.10}:ramp' held_until 0
run 0 status 192.0.2.10
grep -qE '^192\.0\.2\.10 .* held, no decision today$' "$dir/out" ||
    fail "status while held: $(cat "$dir/out")"
run 0 release 192.0.2.10
out_has "released"
[[ $(rcli HEXISTS 't:{192.0.2.10}:ramp' held) == 0 ]] ||
    fail "release left the held field"

echo "override"
run 0 override 192.0.2.10 150
out_has "192.0.2.10: cap 150 on $today"
field_is 't:{192.0.2.10}:ramp' override_cap 150
field_is 't:{192.0.2.10}:ramp' override_day "$today"
run 0 status 192.0.2.10
grep -qE '^192\.0\.2\.10 +slow +1 +150 .* override, no decision today$' \
    "$dir/out" || fail "status with an override: $(cat "$dir/out")"
run 0 explain 192.0.2.10 --recipients 120
out_has "step 1, cap 150 recipients today"
run 0 override 192.0.2.10 40 --provider gmail
run 0 status 192.0.2.10
grep -qE '^  gmail +share 50% +1 +20 ' "$dir/out" ||
    fail "the gmail override is not halved by the share: $(cat "$dir/out")"
run 0 override 192.0.2.10 300 --date 2027-03-12
out_has "replaces the override of cap 150 on $today"
field_is 't:{192.0.2.10}:ramp' override_day 2027-03-12
run 0 override 192.0.2.10 clear
out_has "override cleared"
[[ $(rcli HEXISTS 't:{192.0.2.10}:ramp' override_cap) == 0 ]] ||
    fail "clear left override_cap"
run 64 override 192.0.2.10 100 --date 2027-03-01
err_has "--date 2027-03-01 is in the past"
run 64 override 192.0.2.10 lots
err_has 'invalid CAP "lots"'
run 64 override 192.0.2.10 -5
err_has 'invalid number "-5": negative values are not allowed here'
run 64 override 192.0.2.10 clear --date 2027-03-12
err_has "--date does not apply to clear"

echo "set-step"
run 0 set-step 192.0.2.10 3
out_has "192.0.2.10: step 1 -> 3"
field_is 't:{192.0.2.10}:ramp' step 3
run 0 status 192.0.2.10
grep -qE '^192\.0\.2\.10 +slow +3 +400 ' "$dir/out" ||
    fail "status after set-step: $(cat "$dir/out")"
run 0 set-step 2001:db8::10 4 --provider default
out_has "2001:db8::10 provider default: step 4 (it had no state)"
field_is 't:{2001:db8::10}:ramp:default' start 2027-04-01
field_is 't:{2001:db8::10}:ramp:default' schedule fast
run 0 status 2001:db8::10
grep -qE '^  default +share 80% +4 +6400 ' "$dir/out" ||
    fail "status of a provider ramp after set-step: $(cat "$dir/out")"
run 64 set-step 198.51.100.7 2
err_has "has a fixed daily cap, which has no steps"
run 64 set-step 192.0.2.10 -1
err_has 'invalid number "-1"'
run 64 set-step 192.0.2.10 100001
err_has 'invalid step "100001"'

echo "record"
run 0 record 192.0.2.10 delivered 60 --domain Gmail.COM
[[ $(cat "$dir/out") == recorded ]] || fail "record output: $(cat "$dir/out")"
field_is "t:{192.0.2.10}:day:$today" delivered 60
field_is "t:{192.0.2.10}:day:$today:gmail" delivered 60
ttl=$(rcli TTL "t:{192.0.2.10}:day:$today")
[[ $ttl -gt 0 ]] || fail "the day counter has no TTL ($ttl)"
run 0 record 192.0.2.10 bounced 2 --domain example.org --id q1:rcpt1
out_has recorded
field_is "t:{192.0.2.10}:day:$today:default" bounced 2
run 0 record 192.0.2.10 bounced 2 --domain example.org --id q1:rcpt1
[[ $(cat "$dir/out") == "duplicate event ID, not counted" ]] ||
    fail "duplicate record output: $(cat "$dir/out")"
field_is "t:{192.0.2.10}:day:$today" bounced 2
[[ $(rcli EXISTS 't:{192.0.2.10}:event:q1:rcpt1') == 1 ]] ||
    fail "the event ID key is missing"
run 0 record 192.0.2.10 complained --provider yahoo --date "$yesterday"
field_is "t:{192.0.2.10}:day:$yesterday:yahoo" complained 1
field_is "t:{192.0.2.10}:day:$yesterday" complained 1
run 0 record 192.0.2.10 deferred 4
field_is "t:{192.0.2.10}:day:$today" deferred 4
run 0 record 192.0.2.10 blocked --provider gmail \
    --reason "421 4.7.28 rate limited"
out_has recorded
out_has "block signal on 192.0.2.10 provider gmail: steps down by 2"
field_is 't:{192.0.2.10}:ramp:gmail' block_pending 1
field_is "t:{192.0.2.10}:day:$today" blocked 1
rcli LINDEX 't:{192.0.2.10}:ramp:gmail:log' 0 | grep -qF \
    "$today block signal (421 4.7.28 rate limited)" ||
    fail "block log: $(rcli LRANGE 't:{192.0.2.10}:ramp:gmail:log' 0 -1)"
run 64 record 192.0.2.10 bounce
err_has 'invalid outcome "bounce"'
run 64 record 192.0.2.10 bounced -3
err_has 'invalid number "-3"'
run 64 record 192.0.2.10 bounced 0
err_has 'invalid COUNT "0"'
run 64 record 192.0.2.10 delivered --date 2027-03-11
err_has "is after today"
run 64 record 192.0.2.10 delivered --date 2027-02-01
err_has "its counters have expired"
run 64 record 192.0.2.10 delivered --provider hotmail
err_has "--provider hotmail: no provider of that name"
run 64 record 192.0.2.10 delivered --provider gmail --domain gmail.com
err_has "give --provider or --domain, not both"
run 64 record 192.0.2.10 delivered --reason why
err_has "--reason applies only to blocked"
run 64 record 192.0.2.10 delivered --id 'has space'
err_has 'invalid --id "has space"'

echo "show"
run 0 show 192.0.2.10 --log 2
out_has "source 192.0.2.10 on $today (time zone UTC, caps count recipients)"
out_has "state t:{192.0.2.10}:ramp"
out_has "    step            3"
out_has "counters t:{192.0.2.10}:day:$today"
out_has "    delivered       60"
out_has "log t:{192.0.2.10}:ramp:log: 2 of "
out_has "provider ramp gmail of 192.0.2.10, share 0.5 of the cap"
out_has "    block_pending   1"
[[ $(grep -c '^    20' "$dir/out") -le 6 ]] ||
    fail "show printed more than 2 log entries per ramp"
run 0 show 198.51.100.7 --log 0
out_has "hourly cap 900 of 198.51.100.7"
out_has "pacing of 198.51.100.7, send hours 08:00-20:00"
run 64 show 192.0.2.10 --log -1
err_has 'invalid --log count "-1"'
run 64 show
err_has "give exactly one SOURCE"

echo "explain judges the last sending day"
# Make yesterday the ramp's last sending day: 60 of its cap 100 used, 2 of
# 62 outcomes bounced, so the first decision today advances from step 1.
rcli DEL 't:{192.0.2.10}:ramp' >/dev/null
rcli HSET 't:{192.0.2.10}:ramp' schedule slow start 2027-03-01 step 1 \
    day "$yesterday" cap 100 spec 'daily:100,200,400,800' >/dev/null
rcli HSET "t:{192.0.2.10}:day:$yesterday" recipients 60 delivered 60 \
    bounced 2 >/dev/null
rcli HDEL "t:{192.0.2.10}:day:$yesterday" complained >/dev/null
run 0 explain 192.0.2.10 --recipients 150
out_has "192.0.2.10: accept"
out_has "step 2, cap 200 recipients today"
out_has "moves the step from 1 to 2"
field_is 't:{192.0.2.10}:ramp' step 1
field_is 't:{192.0.2.10}:ramp' day "$yesterday"
run 0 status 192.0.2.10
grep -qE '^192\.0\.2\.10 +slow +1 +100 .* no decision today$' "$dir/out" ||
    fail "status before today's first decision: $(cat "$dir/out")"
rcli HSET "t:{192.0.2.10}:day:$yesterday" bounced 20 >/dev/null
run 0 explain 192.0.2.10
out_has "keeps step 1"

echo "forget"
run 0 forget 192.0.2.10 --provider gmail
out_has "192.0.2.10 provider gmail: ramp state and log deleted"
out_has "(it had no step yet)"
[[ $(rcli EXISTS 't:{192.0.2.10}:ramp:gmail' \
    't:{192.0.2.10}:ramp:gmail:log') == 0 ]] ||
    fail "forget left the gmail ramp"
run 0 forget 192.0.2.10
[[ $(rcli EXISTS 't:{192.0.2.10}:ramp') == 0 ]] || fail "forget left the ramp"

echo "metrics"
run 0 metrics
out_has "# HELP rampart_ramp_step "
out_has "# TYPE rampart_ramp_step gauge"
out_has 'rampart_ramp_step{source="2001:db8::10",provider="default"} 4'
out_has 'rampart_cap_today{source="198.51.100.7"} 5000'
out_has 'rampart_cap_today{source="192.0.2.10",provider="gmail"} 50'
out_has "rampart_delivered_today{source=\"192.0.2.10\"} 60"
out_has 'rampart_delivered_today{source="192.0.2.10",provider="gmail"} 60'
out_has 'rampart_bounced_today{source="192.0.2.10",provider="default"} 2'
out_has 'rampart_held{source="192.0.2.10"} 0'
if grep -q 'rampart_ramp_step{source="198.51.100.7"' "$dir/out"; then
    fail "metrics give a step to a fixed daily cap"
fi
families=$(grep -c '^# TYPE ' "$dir/out")
[[ $families == 12 ]] || fail "metrics printed $families families, expected 12"
comment='# (HELP|TYPE) rampart_[a-z_]+ .+'
sample='rampart_[a-z_]+\{source="[^"]+"(,provider="[a-z_-]+")?\} -?[0-9]+'
if grep -vqE "^($comment|$sample)\$" "$dir/out"; then
    fail "metrics lines not in the text format:" \
        "$(grep -vE "^($comment|$sample)\$" "$dir/out")"
fi

echo "a block signal pauses at once with on_block = pause"
write_conf pause
run 0 record 198.51.100.7 blocked --reason "554 5.7.1 blocked"
out_has "block signal on 198.51.100.7: paused for 24 hours"
field_is 't:{198.51.100.7}:ramp' paused 1
field_is 't:{198.51.100.7}:ramp' paused_reason "block signal: 554 5.7.1 blocked"
ends_in 't:{198.51.100.7}:ramp' paused_until 86400
run 0 explain 198.51.100.7
out_has "198.51.100.7: defer"
out_has "paused: block signal: 554 5.7.1 blocked"

echo "Redis failures"
sed "s|unix:$sock|unix:$dir/absent.sock|" "$conf" >"$dir/absent.conf"
conf=$dir/absent.conf
run 69 status
err_has "absent.sock"
run 69 record 192.0.2.10 delivered
run 69 metrics
[[ ! -s $dir/out ]] || fail "metrics printed output without Redis"
conf=$dir/rampart.conf

echo "a broken ramp state"
rcli HSET 't:{192.0.2.10}:ramp' schedule gone step 2 start 2027-03-01 >/dev/null
run 65 status 192.0.2.10
err_has 'names schedule "gone"'
out_has "cap unknown"

if [[ $failures -gt 0 ]]; then
    echo "$failures checks failed" >&2
    exit 1
fi
echo "all checks passed"

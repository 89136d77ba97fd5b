#!/bin/bash
# A pause of one provider ramp defers that provider's recipients with the
# pause reason in the 451 4.7.1 text.  The recipients of the default
# provider ramp in the same messages are accepted.  Mail goes through two
# rampart-milter processes that share one Redis.  The pause stays over
# the day change: on day 2 the default ramp and the source advance, the
# paused gmail ramp is idle at step 1, and after rampartctl resume gmail
# recipients pass again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init "$@"

SOURCE=127.0.0.11
CAP=20
MESSAGES=10
REASON="gmail answers 421 4.7.28 for this IP; see ticket 4711"
PAUSED="451 4.7.1 $SOURCE paused: gmail: $REASON, retry later"
GMAIL_KEY="rampart:{$SOURCE}:ramp:gmail"

t_two_milters 1 10:00 <<CONF
schedules: { ramp: { per_day = [$CAP, 40]; }; };
sources = ( { address = "$SOURCE"; schedule = "ramp"; start = "$T_TODAY"; } );
routes = ( { source = "$SOURCE"; } );
providers = ( { name = "gmail"; domains = [ "gmail.com", "googlemail.com" ]; } );
provider_ramps = (
  { provider = "gmail"; share = 0.5; },
  { provider = "default"; share = 1.0; }
);
CONF

# send_mixed TAG N: N messages, each to two example.net recipients and one
# gmail.com recipient, alternately through milter-a and milter-b.
send_mixed() {
    local i port
    : >"$LB_DIR/$1.out"
    for i in $(seq "$2"); do
        port=$(t_port $((3 + (i + 1) % 2)))
        t_smtp 127.0.0.1 "$port" mail:sender@shop.example \
            "rcpt:$1-r$i-a@example.net" "rcpt:$1-r$i-g@gmail.com" "rcpt:$1-r$i-b@example.net" \
            "data:$1-m$i@rampart.test" >>"$LB_DIR/$1.out"
    done
}

# --- day 1: gmail paused ------------------------------------------------------
t_ctl pause "$SOURCE" --provider gmail --reason "$REASON" >"$LB_DIR/pause.out"
DAY_1=$T_CLOCK_DATE
t_expect_eq "gmail ramp state paused" "$(redis-cli -p "$LB_REDIS_PORT" hget "$GMAIL_KEY" paused)" 1
t_expect_eq "gmail ramp state paused_reason" "$(redis-cli -p "$LB_REDIS_PORT" hget "$GMAIL_KEY" paused_reason)" "$REASON"

send_mixed d1 "$MESSAGES"
t_drain mta
out=$(cat "$LB_DIR/d1.out")
t_expect_eq "day 1: replies to gmail.com RCPTs" \
    "$(grep -c "^rcpt:d1-r[0-9]*-g@gmail.com $PAUSED ms=" <<<"$out" || true)" "$MESSAGES"
t_expect_eq "day 1: accepted example.net RCPTs" \
    "$(grep -c '^rcpt:d1-r[0-9]*-[ab]@example.net 250 ' <<<"$out" || true)" $((2 * MESSAGES))
t_expect_eq "day 1: accepted messages" "$(grep -c '^data:d1-m[0-9]*@rampart.test 250 ' <<<"$out" || true)" "$MESSAGES"
t_expect_counters "$SOURCE" "$MESSAGES" $((2 * MESSAGES)) "$MESSAGES"
t_expect_eq "day 1: Redis $(t_day_key "$SOURCE"):default recipients" \
    "$(redis-cli -p "$LB_REDIS_PORT" hget "$(t_day_key "$SOURCE"):default" recipients)" $((2 * MESSAGES))
t_expect_eq "day 1: Redis $(t_day_key "$SOURCE"):gmail recipients" \
    "$(redis-cli -p "$LB_REDIS_PORT" hget "$(t_day_key "$SOURCE"):gmail" recipients)" ""
t_expect_eq "day 1: recipients at smtp-sink" "$(t_sink_rcpts_tagged d1)" $((2 * MESSAGES))
t_expect_eq "day 1: gmail.com recipients at smtp-sink" "$(grep -c '^X-Rcpt-Args: <d1-.*@gmail\.com>' "$LB_DIR/sink/dump" || true)" 0
t_expect_eq "day 1: Postfix milter-reject lines with the pause" \
    "$(grep -cF "milter-reject: RCPT from unknown[127.0.0.1]: $PAUSED;" "$(t_maillog mta)" || true)" "$MESSAGES"
for name in milter-a milter-b; do
    t_expect_ge "day 1: pause deferrals logged by $name" \
        "$(grep -c "action=defer stage=rcpt .* step=1 reason=paused provider=gmail key=$(t_day_key "$SOURCE") .* to=<d1-r[0-9]*-g@gmail.com>$" \
            "$(t_milter_log "$name")" || true)" 1
done
status=$(t_ctl status "$SOURCE")
t_expect_match "day 1: rampartctl status of the source" "$status" "^$SOURCE +ramp +1 +$CAP +$CAP +$MESSAGES +0 +-$"
t_expect_match "day 1: rampartctl status of gmail" "$status" "^  gmail +share 50% +1 +10 +0 +0 +0 +paused$"
t_expect_match "day 1: rampartctl status of default" "$status" "^  default +share 100% +1 +$CAP +$CAP +0 +0 +-$"
t_expect_eq "rampartctl record for default" \
    "$(t_ctl record "$SOURCE" delivered $((2 * MESSAGES)) --provider default)" recorded

# --- day 2: still paused; the default ramp advances -----------------------------------
t_move_clock 2 10:00
send_mixed d2 1
t_expect_eq "day 2: reply to the gmail.com RCPT while paused" \
    "$(t_reply "$(cat "$LB_DIR/d2.out")" rcpt:d2-r1-g@gmail.com)" "$PAUSED"
t_expect_eq "day 2: source ramp step" "$(t_ramp_field "$SOURCE" step)" 2
t_expect_eq "day 2: default ramp step" "$(t_ramp_field "$SOURCE" step default)" 2
t_expect_eq "day 2: gmail ramp step" "$(t_ramp_field "$SOURCE" step gmail)" 1
t_expect_eq "day 2: newest gmail ramp log entry" \
    "$(redis-cli -p "$LB_REDIS_PORT" lindex "$GMAIL_KEY:log" 0)" \
    "$T_CLOCK_DATE idle at 1: $DAY_1 used 0 of 10 (0.0%), bounces 0.00%, complaints 0.000%"
t_expect_eq "day 2: newest default ramp log entry" \
    "$(redis-cli -p "$LB_REDIS_PORT" lindex "rampart:{$SOURCE}:ramp:default:log" 0)" \
    "$T_CLOCK_DATE advance 1->2: $DAY_1 used $CAP of $CAP (100.0%), bounces 0.00%, complaints 0.000%"

t_ctl resume "$SOURCE" --provider gmail >"$LB_DIR/resume.out"
t_expect_eq "gmail ramp state paused after resume" "$(redis-cli -p "$LB_REDIS_PORT" hget "$GMAIL_KEY" paused)" ""
out=$(t_smtp 127.0.0.1 "$(t_port 4)" mail:sender@shop.example \
    rcpt:resumed-1@gmail.com rcpt:resumed-2@googlemail.com data:resumed@rampart.test)
t_expect_reply "$out" rcpt:resumed-1@gmail.com "250 "
t_expect_reply "$out" rcpt:resumed-2@googlemail.com "250 "
t_drain mta
t_expect_eq "day 2: Redis $(t_day_key "$SOURCE"):gmail recipients" \
    "$(redis-cli -p "$LB_REDIS_PORT" hget "$(t_day_key "$SOURCE"):gmail" recipients)" 2
t_expect_eq "recipients smtp-sink received of the resumed message" "$(t_sink_rcpts_of resumed@rampart.test)" 2
t_expect_counters "$SOURCE" 2 4 1
t_expect_match "day 2: rampartctl status of gmail" "$(t_ctl status "$SOURCE")" "^  gmail +share 50% +1 +10 +2 +0 +8 +-$"

/*
 * test_ramp_ops.c - operator changes to a ramp state (ramp_change()), the
 * state against config edits, explain and check modes, and outcome event
 * ids, against a real redis-server
 */
#include "check_main.h"
#include "keys.h"
#include "ramp_fixture.h"

#include <stdio.h>
#include <stdlib.h>

static void assert_log_contains(const char *provider, const char *part)
{
    char entry[512];

    log_entry(provider, 0, entry, sizeof(entry));
    assert_contains(entry, part);
}

/* The key of today's day counter of the source. */
static void day_key(char *key, size_t len)
{
    ck_assert_int_eq(keys_day(key, len, fixture_cfg->redis.prefix,
                              FIXTURE_SOURCE, clock_date(), NULL),
                     0);
}

START_TEST(hold_keeps_step)
{
    start_daily("", "");
    ck_assert_int_eq(
        change((struct ramp_change){.op = RAMP_HOLD, .reason = "new list"}), 0);
    assert_log_contains(NULL, "hold: new list");

    /* sending goes on at the same step */
    send_day(100, 0, 0);
    next_days(1);
    assert_step(1);
    assert_log_contains(NULL, "hold at 1: held (new list)");
    send_day(100, 0, 0);

    change((struct ramp_change){.op = RAMP_RELEASE});
    assert_log_contains(NULL, "release");
    next_days(1);
    assert_step(2);
}
END_TEST

START_TEST(hold_until_ends)
{
    start_daily("", "");
    change((struct ramp_change){.op = RAMP_HOLD,
                                .reason = "watch bounces",
                                .until = clock_now() + 3600});
    send_day(100, 0, 0);
    clock_advance(3601);
    assert_step(1);
    ck_assert_int_eq(state_number(NULL, "held"), -1);
    assert_log_contains(NULL, "held ended");
    next_days(1);
    assert_step(2);
}
END_TEST

START_TEST(pause_and_resume)
{
    struct quota_outcome out;
    char key[LIMITER_KEY_MAX];

    start_daily("", "");
    send_accepted(5);
    change((struct ramp_change){.op = RAMP_PAUSE, .reason = "abuse review"});
    assert_log_contains(NULL, "pause: abuse review");

    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);
    ck_assert_int_eq(out.retry_at, 0);
    ck_assert_str_eq(out.reason,
                     FIXTURE_SOURCE " paused: abuse review, retry later");
    day_key(key, sizeof(key));
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "recipients"), 5);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "tempfailed"), 1);

    /* a pause lasts across days until resumed */
    next_days(1);
    decide_simple(LIMITER_CHECK, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);

    change((struct ramp_change){.op = RAMP_RESUME});
    assert_log_contains(NULL, "resume");
    send_accepted(1);
}
END_TEST

START_TEST(pause_until_expires)
{
    struct quota_outcome out;
    time_t until;

    start_daily("", "");
    until = clock_now() + 3600;
    change((struct ramp_change){
        .op = RAMP_PAUSE, .reason = "DNS change", .until = until});
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);
    ck_assert_int_eq(out.retry_at, until);
    assert_contains(out.reason, "paused: DNS change, retry after 11:00 UTC");

    clock_set(until);
    send_accepted(1);
    ck_assert_int_eq(state_number(NULL, "paused"), -1);
    assert_log_contains(NULL, "paused ended");
}
END_TEST

/* An override replaces today's cap only, and the judge uses the plan's. */
START_TEST(override_today_only)
{
    struct quota_outcome out;

    start_daily("", "");
    assert_cap(100);
    change((struct ramp_change){.op = RAMP_OVERRIDE, .cap = 150});
    assert_log_contains(NULL, "override cap 150 for ");
    assert_cap(150);
    send_accepted(150);
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    assert_contains(out.reason, "daily cap 150 reached");

    next_days(1);
    assert_step(2);
    assert_cap(200);

    /* a lower override stops today's sending early, and -1 clears it */
    send_accepted(60);
    change((struct ramp_change){.op = RAMP_OVERRIDE, .cap = 50});
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    change((struct ramp_change){.op = RAMP_OVERRIDE, .cap = -1});
    assert_log_contains(NULL, "override cleared");
    ck_assert_int_eq(state_number(NULL, "override_cap"), -1);
    assert_cap(200);
}
END_TEST

START_TEST(set_step_moves)
{
    start_daily("", "");
    assert_step(1);
    ck_assert_int_eq(change((struct ramp_change){
                         .op = RAMP_STEP, .step = 4, .note = "ops: known IP"}),
                     1);
    assert_log_contains(NULL, "step 1->4 [ops: known IP]");
    assert_step(4);
    assert_cap(800);
    ck_assert_int_eq(state_number(NULL, "cap"), 800);
}
END_TEST

/*
 * A step set after the day's sending, with no decision before midnight:
 * the next day judges 10 sent, below 80 % of any cap, so the ramp holds
 * at the new step.
 */
START_TEST(set_step_then_new_day)
{
    start_daily("", "");
    send_day(10, 0, 0);
    change((struct ramp_change){.op = RAMP_STEP, .step = 3});
    next_days(1);
    assert_step(3);
    assert_log_contains(NULL, "hold at 3");
}
END_TEST

/*
 * A step set before the source's first decision is the step it starts at.
 */
START_TEST(set_step_before_first_decision)
{
    start_daily("", "");
    ck_assert_int_eq(change((struct ramp_change){.op = RAMP_STEP, .step = 3}),
                     0);
    assert_step(3);
    assert_cap(400);
}
END_TEST

/*
 * Enrolling in another schedule: the state names "fast", so quota_run
 * gets a "schedule" reply and builds the request again with fast's caps.
 */
START_TEST(enroll_other_schedule)
{
    struct quota_outcome out;
    char text[64];
    char start[CAL_DATE_TEXT];

    start_at_monday("schedules = {\n    slow = { per_day = 10; };\n"
                    "    fast = { per_day = [500, 1000, 2000]; };\n};\n"
                    "sources = ( { address = \"" FIXTURE_SOURCE "\";\n"
                    "    schedule = \"slow\"; start = \"2026-01-01\"; } );\n");
    assert_cap(10);
    ck_assert_int_eq(change((struct ramp_change){.op = RAMP_ENROLL,
                                                 .schedule = "fast",
                                                 .start = clock_date(),
                                                 .step = 2}),
                     1);
    cal_format_date(clock_date(), start, sizeof(start));
    assert_log_contains(NULL, "enroll schedule=fast start=");
    assert_log_contains(NULL, start);

    decide_simple(LIMITER_CHECK, 1, &out);
    ck_assert_int_eq(out.step, 2);
    ck_assert_int_eq(out.cap, 1000);
    state_text(NULL, "schedule", text, sizeof(text));
    ck_assert_str_eq(text, "fast");
    state_text(NULL, "spec", text, sizeof(text));
    ck_assert_str_eq(text, "daily:500,1000,2000");

    send_day(1000, 0, 0);
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    ck_assert_int_eq(out.cap, 1000);

    next_days(1);
    assert_step(3);
    assert_cap(2000);
}
END_TEST

/* A state naming a schedule the config lacks is an error, not a guess. */
START_TEST(enroll_unknown_schedule)
{
    struct quota_message msg = {.recipients = 1};
    struct quota_outcome out;
    char err[512] = "";

    start_daily("", "");
    change((struct ramp_change){.op = RAMP_ENROLL,
                                .schedule = "gone",
                                .start = clock_date(),
                                .step = 1});
    ck_assert_int_eq(quota_run(fixture_store, fixture_cfg, fixture_source(),
                               LIMITER_CHECK, &msg, &out, err, sizeof(err)),
                     -1);
    assert_contains(err, "names schedule \"gone\"");
}
END_TEST

/*
 * An enrolment with a later start defers until that date.
 */
START_TEST(enroll_later_start)
{
    struct quota_outcome out;
    struct cal_date wednesday;

    start_daily("", "");
    wednesday = date_add(clock_date(), 2);
    change((struct ramp_change){
        .op = RAMP_ENROLL, .schedule = "daily", .start = wednesday, .step = 2});
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_START);
    ck_assert_int_eq(out.retry_at, local_time(wednesday, 0, 0));

    next_days(2);
    assert_step(2);
    assert_cap(200);
}
END_TEST

START_TEST(forget_restores_defaults)
{
    char text[64];

    start_daily("", "");
    send_day(100, 0, 0);
    next_days(1);
    assert_step(2);
    ck_assert_int_ge(log_length(NULL), 1);

    ck_assert_int_eq(change((struct ramp_change){.op = RAMP_FORGET}), 2);
    ck_assert_int_eq(state_number(NULL, "step"), -1);
    ck_assert_int_eq(log_length(NULL), 0);

    assert_step(1);
    assert_cap(100);
    state_text(NULL, "schedule", text, sizeof(text));
    ck_assert_str_eq(text, "daily");
}
END_TEST

/* Editing a schedule's caps changes the cap of the state's current step. */
START_TEST(schedule_edit_changes_cap)
{
    char text[64];

    start_daily("", "");
    send_day(100, 0, 0);
    next_days(1);
    assert_step(2);
    assert_cap(200);

    fixture_cfg->schedules[0].table[1] = 250;
    assert_step(2);
    assert_cap(250);
    ck_assert_int_eq(state_number(NULL, "cap"), 250);
    state_text(NULL, "spec", text, sizeof(text));
    ck_assert_str_eq(text, "daily:100,250,400,800,1600");
}
END_TEST

/* The state wins over the config: a new source.step moves nothing. */
START_TEST(source_step_edit_ignored)
{
    start_daily("", "");
    send_day(100, 0, 0);
    next_days(1);
    assert_step(2);

    fixture_cfg->sources[0].initial_step = 4;
    assert_step(2);
    assert_cap(200);
    next_days(1);
    assert_step(2);
}
END_TEST

/* A new schedule for the source in the config leaves the state's. */
START_TEST(source_schedule_edit_ignored)
{
    char text[64];

    start_at_monday("schedules = {\n    slow = { per_day = 10; };\n"
                    "    fast = { per_day = 500; };\n};\n"
                    "sources = ( { address = \"" FIXTURE_SOURCE "\";\n"
                    "    schedule = \"slow\"; start = \"2026-01-01\"; } );\n");
    assert_cap(10);
    fixture_cfg->sources[0].schedule = &fixture_cfg->schedules[1];
    assert_cap(10);
    state_text(NULL, "schedule", text, sizeof(text));
    ck_assert_str_eq(text, "slow");
}
END_TEST

/* A fixed daily cap follows the config, and its ramp never moves. */
START_TEST(fixed_cap_follows_config)
{
    start_at_monday("sources = ( { address = \"" FIXTURE_SOURCE "\";\n"
                    "    daily_cap = 1000; } );\n");
    send_day(1000, 0, 0);
    assert_cap(1000);
    fixture_cfg->sources[0].daily_cap = 2000;
    assert_cap(2000);
    next_days(1);
    assert_step(1);
    assert_cap(2000);
    assert_log_contains(NULL, "fixed cap: ");
}
END_TEST

#define SNAPSHOT_MAX 64

/* Every key of the database with its DUMP payload and EXPIRETIME. */
struct snapshot {
    size_t count;
    char names[SNAPSHOT_MAX][LIMITER_KEY_MAX];
    char *dumps[SNAPSHOT_MAX];
    size_t lengths[SNAPSHOT_MAX];
    long long expire_at[SNAPSHOT_MAX];
};

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void take_snapshot(struct snapshot *snap)
{
    redisReply *keys = redis_server_command(&fixture_server, "KEYS *");

    ck_assert_int_eq(keys->type, REDIS_REPLY_ARRAY);
    ck_assert_uint_le(keys->elements, SNAPSHOT_MAX);
    snap->count = keys->elements;
    for (size_t i = 0; i < keys->elements; i++)
        snprintf(snap->names[i], sizeof(snap->names[i]), "%s",
                 keys->element[i]->str);
    freeReplyObject(keys);
    qsort(snap->names, snap->count, sizeof(snap->names[0]), compare_names);

    for (size_t i = 0; i < snap->count; i++) {
        redisReply *dump =
            redis_server_command(&fixture_server, "DUMP %s", snap->names[i]);

        ck_assert_int_eq(dump->type, REDIS_REPLY_STRING);
        snap->dumps[i] = malloc(dump->len);
        ck_assert_ptr_nonnull(snap->dumps[i]);
        memcpy(snap->dumps[i], dump->str, dump->len);
        snap->lengths[i] = dump->len;
        freeReplyObject(dump);
        snap->expire_at[i] = redis_server_integer(
            &fixture_server, "EXPIRETIME %s", snap->names[i]);
    }
}

/* Fail unless both snapshots hold the same keys, values and TTLs. */
static void assert_same_snapshot(const struct snapshot *before,
                                 const struct snapshot *after)
{
    ck_assert_msg(before->count == after->count, "got %zu keys, want %zu",
                  after->count, before->count);
    for (size_t i = 0; i < before->count; i++) {
        ck_assert_str_eq(after->names[i], before->names[i]);
        ck_assert_msg(after->lengths[i] == before->lengths[i] &&
                          memcmp(after->dumps[i], before->dumps[i],
                                 before->lengths[i]) == 0,
                      "key %s changed", before->names[i]);
        ck_assert_msg(after->expire_at[i] == before->expire_at[i],
                      "key %s: got EXPIRETIME %lld, want %lld",
                      before->names[i], after->expire_at[i],
                      before->expire_at[i]);
    }
}

static void free_snapshot(struct snapshot *snap)
{
    for (size_t i = 0; i < snap->count; i++)
        free(snap->dumps[i]);
}

/*
 * Explain mode on a new day with a pause that has ended: the reply shows
 * the step the day would move to, but no key changes at all.
 */
START_TEST(explain_writes_nothing)
{
    struct snapshot before;
    struct snapshot after;
    struct quota_outcome out;

    start_daily(" step = 2;", "");
    send_day(200, 0, 0);
    change((struct ramp_change){
        .op = RAMP_PAUSE,
        .reason = "night",
        .until = local_time(date_add(clock_date(), 1), 9, 0)});
    record(OUTCOME_DELIVERED, 1, NULL, "event-1", NULL);
    next_days(1);

    take_snapshot(&before);
    ck_assert_uint_ge(before.count, 4);
    decide_simple(LIMITER_EXPLAIN, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(out.step, 3);
    ck_assert_int_eq(out.cap, 400);
    decide_simple(LIMITER_EXPLAIN, 401, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    take_snapshot(&after);
    assert_same_snapshot(&before, &after);
    ck_assert_int_eq(state_number(NULL, "step"), 2);
    free_snapshot(&before);
    free_snapshot(&after);

    /* a check makes the same move for real */
    assert_step(3);
    ck_assert_int_eq(state_number(NULL, "step"), 3);
}
END_TEST

/*
 * Explain mode with a provider ramp and pacing, on a new day that would
 * advance both ramps, and over the pacing rate: still no key changes.
 */
START_TEST(explain_providers_pacing)
{
    struct snapshot before;
    struct snapshot after;
    struct quota_outcome out;
    struct quota_message msg = {.recipients = 100, .part_count = 1};

    start_daily("",
                "providers = ( { name = \"gmail\"; domains = [\"gmail.com\"]; "
                "} );\n"
                "provider_ramps = ( { provider = \"gmail\"; share = 1.0; } );\n"
                "pacing = { send_hours = \"08:00-20:00\"; burst = 100; };\n");
    msg.parts[0] =
        (struct quota_part){config_provider_ramp(fixture_cfg, "gmail"), 100};
    decide(LIMITER_CHARGE, &msg, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    next_days(1);

    take_snapshot(&before);
    msg.recipients = 1;
    msg.parts[0].recipients = 1;
    decide(LIMITER_EXPLAIN, &msg, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(out.step, 2);
    msg.recipients = 150;
    msg.parts[0].recipients = 150;
    decide(LIMITER_EXPLAIN, &msg, &out);
    ck_assert_int_eq(out.refusal, REFUSED_PACE);
    clock_set(local_time(clock_date(), 21, 0));
    decide(LIMITER_EXPLAIN, &msg, &out);
    ck_assert_int_eq(out.refusal, REFUSED_WINDOW);
    take_snapshot(&after);
    assert_same_snapshot(&before, &after);
    free_snapshot(&before);
    free_snapshot(&after);
}
END_TEST

/* On a day already started, a check changes only the tempfailed count. */
START_TEST(check_counts_tempfailed_only)
{
    struct snapshot before;
    struct snapshot after;
    struct quota_outcome out;
    char key[LIMITER_KEY_MAX];
    redisReply *reply;

    start_daily("", "");
    send_accepted(95);
    take_snapshot(&before);
    decide_simple(LIMITER_CHECK, 5, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(out.count, 95);
    take_snapshot(&after);
    assert_same_snapshot(&before, &after);
    free_snapshot(&after);

    decide_simple(LIMITER_CHECK, 6, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    day_key(key, sizeof(key));
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "tempfailed"), 1);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "recipients"),
                     95);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "messages"), 1);

    /* with tempfailed taken out again, nothing else differs */
    reply = redis_server_command(&fixture_server, "HDEL %s tempfailed", key);
    freeReplyObject(reply);
    take_snapshot(&after);
    assert_same_snapshot(&before, &after);
    free_snapshot(&before);
    free_snapshot(&after);
}
END_TEST

START_TEST(event_ids_deduplicate)
{
    char key[LIMITER_KEY_MAX];
    char event[LIMITER_KEY_MAX];
    long long ttl;

    start_daily("", "");
    day_key(key, sizeof(key));
    ck_assert_int_eq(record(OUTCOME_DELIVERED, 1, NULL, "q-4711", NULL), 0);
    ck_assert_int_eq(record(OUTCOME_DELIVERED, 1, NULL, "q-4711", NULL), 1);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "delivered"), 1);
    ck_assert_int_eq(record(OUTCOME_BOUNCED, 1, NULL, "q-4711", NULL), 1);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "bounced"), -1);

    ck_assert_int_eq(record(OUTCOME_DELIVERED, 1, NULL, "q-4712", NULL), 0);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "delivered"), 2);
    ck_assert_int_eq(record(OUTCOME_DELIVERED, 3, NULL, NULL, NULL), 0);
    ck_assert_int_eq(record(OUTCOME_DELIVERED, 3, NULL, NULL, NULL), 0);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "delivered"), 8);

    ck_assert_int_eq(keys_event(event, sizeof(event), fixture_cfg->redis.prefix,
                                FIXTURE_SOURCE, "q-4711"),
                     0);
    ttl = redis_server_integer(&fixture_server, "TTL %s", event);
    ck_assert_msg(ttl > 0, "got TTL %lld for %s, want one", ttl, event);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("ramp_ops");
    TCase *ops = tcase_create("ops");
    TCase *config = tcase_create("config");
    TCase *modes = tcase_create("modes");

    tcase_add_checked_fixture(ops, NULL, fixture_stop);
    tcase_set_timeout(ops, 60);
    tcase_add_test(ops, hold_keeps_step);
    tcase_add_test(ops, hold_until_ends);
    tcase_add_test(ops, pause_and_resume);
    tcase_add_test(ops, pause_until_expires);
    tcase_add_test(ops, override_today_only);
    tcase_add_test(ops, set_step_moves);
    tcase_add_test(ops, set_step_then_new_day);
    tcase_add_test(ops, set_step_before_first_decision);
    tcase_add_test(ops, enroll_other_schedule);
    tcase_add_test(ops, enroll_unknown_schedule);
    tcase_add_test(ops, enroll_later_start);
    tcase_add_test(ops, forget_restores_defaults);
    suite_add_tcase(s, ops);

    tcase_add_checked_fixture(config, NULL, fixture_stop);
    tcase_set_timeout(config, 60);
    tcase_add_test(config, schedule_edit_changes_cap);
    tcase_add_test(config, source_step_edit_ignored);
    tcase_add_test(config, source_schedule_edit_ignored);
    tcase_add_test(config, fixed_cap_follows_config);
    suite_add_tcase(s, config);

    tcase_add_checked_fixture(modes, NULL, fixture_stop);
    tcase_set_timeout(modes, 60);
    tcase_add_test(modes, explain_writes_nothing);
    tcase_add_test(modes, explain_providers_pacing);
    tcase_add_test(modes, check_counts_tempfailed_only);
    tcase_add_test(modes, event_ids_deduplicate);
    suite_add_tcase(s, modes);
    return s;
}

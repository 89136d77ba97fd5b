/*
 * test_limiter.c - limiter_build() and limiter_parse() without a network
 *
 * The replies are hand-made redisReply trees shaped like those hiredis
 * builds for the script's return values.
 */
#include "check_main.h"
#include "limiter.h"

#include <stdio.h>

/* 2026-12-04 00:00:00 UTC and the next midnight. */
#define DEC4_UTC 1796342400L
#define DEC5_UTC (DEC4_UTC + 86400)

#define FAKE_MAX 16

/* Storage for one hand-made reply of up to FAKE_MAX elements. */
struct fake_reply {
    redisReply top;
    redisReply items[FAKE_MAX];
    redisReply *pointers[FAKE_MAX];
    char text[FAKE_MAX][48];
};

static void add_string(struct fake_reply *f, const char *s)
{
    size_t i = f->top.elements++;

    ck_assert_uint_lt(i, FAKE_MAX);
    snprintf(f->text[i], sizeof(f->text[i]), "%s", s);
    f->items[i] = (redisReply){.type = REDIS_REPLY_STRING,
                               .str = f->text[i],
                               .len = strlen(f->text[i])};
    f->pointers[i] = &f->items[i];
}

static void add_integer(struct fake_reply *f, long long value)
{
    size_t i = f->top.elements++;

    ck_assert_uint_lt(i, FAKE_MAX);
    f->items[i] = (redisReply){.type = REDIS_REPLY_INTEGER, .integer = value};
    f->pointers[i] = &f->items[i];
}

/* Start an array reply whose first three elements are status, sec, usec. */
static void start_array(struct fake_reply *f, const char *status)
{
    memset(f, 0, sizeof(*f));
    f->top.type = REDIS_REPLY_ARRAY;
    f->top.element = f->pointers;
    add_string(f, status);
    add_string(f, "1796425200");
    add_string(f, "123456");
}

/*
 * Build an "over" reply: what, index, used, cap, retry_at, step, detail,
 * source cap.
 */
static void over_reply(struct fake_reply *f, const char *what, long index,
                       long used, long cap, long retry_at, const char *detail)
{
    start_array(f, "over");
    add_string(f, what);
    add_integer(f, index);
    add_integer(f, used);
    add_integer(f, cap);
    add_integer(f, retry_at);
    add_integer(f, 3);
    add_string(f, detail);
    add_integer(f, 250);
}

static const struct ramp_config gates = {.advance_min_use = 0.8,
                                         .max_bounce_rate = 0.1,
                                         .max_complaint_rate = 0.001,
                                         .on_block = BLOCK_STEP_DOWN,
                                         .block_step_down = 1,
                                         .block_pause_hours = 24,
                                         .history = 100};

static void set_limit(struct limiter_limit *l, const char *key,
                      enum limiter_cap_kind kind, double cap_value,
                      long recipients, time_t start, time_t end)
{
    snprintf(l->key, sizeof(l->key), "%s", key);
    l->unit = UNIT_RECIPIENTS;
    l->cap_kind = kind;
    l->cap_value = cap_value;
    l->messages = 1;
    l->recipients = recipients;
    l->window_start = start;
    l->window_end = end;
}

/*
 * A charge of 3 recipients (2 of them to gmail) from a weekly source on
 * 2026-12-04 UTC at 10:xx: the source's day counter, the hour counter,
 * gmail's provider ramp, and pacing from 08:00 to 20:00.
 */
static struct limiter_request sample_request(void)
{
    struct limiter_request req = {.mode = LIMITER_CHARGE,
                                  .clock_offset = 86400,
                                  .day = {{2026, 12, 4}, DEC4_UTC, DEC5_UTC}};
    struct limiter_ramp *r = &req.ramp;

    strcpy(r->state_key, "rampart:{203.0.113.10}:ramp");
    strcpy(r->log_key, "rampart:{203.0.113.10}:ramp:log");
    strcpy(r->day_prefix, "rampart:{203.0.113.10}:day:");
    strcpy(r->start, "2026-12-01");
    r->initial_step = 1;
    r->schedule = "weekly";
    strcpy(r->spec, "weekly:100,250:100:1000");
    r->unit = UNIT_RECIPIENTS;
    r->gates = &gates;

    req.provider_count = 1;
    req.providers[0].name = "gmail";
    req.providers[0].share = 0.4;

    req.count = 3;
    set_limit(&req.limits[0], "rampart:{203.0.113.10}:day:2026-12-04",
              LIMITER_CAP_SOURCE, 1.0, 3, DEC4_UTC, DEC5_UTC);
    req.limits[0].expire_at = DEC5_UTC + 7 * 86400;
    set_limit(&req.limits[1], "rampart:{203.0.113.10}:hour:2026-12-04T10",
              LIMITER_CAP_FIXED, 50, 3, DEC4_UTC + 36000, DEC4_UTC + 39600);
    req.limits[1].expire_at = DEC4_UTC + 39600 + 2 * 86400;
    set_limit(&req.limits[2], "rampart:{203.0.113.10}:day:2026-12-04:gmail",
              LIMITER_CAP_PROVIDER, 1, 2, DEC4_UTC, DEC5_UTC);
    req.limits[2].expire_at = DEC5_UTC + 7 * 86400;

    req.pacing.enabled = 1;
    strcpy(req.pacing.key, "rampart:{203.0.113.10}:pace");
    req.pacing.open = DEC4_UTC + 8 * 3600;
    req.pacing.close = DEC4_UTC + 20 * 3600;
    req.pacing.next_open = DEC5_UTC + 8 * 3600;
    req.pacing.units = 3;
    req.pacing.expire_at = DEC5_UTC + 86400;
    return req;
}

static void assert_arg(const struct limiter_argv *args, int i, const char *want)
{
    ck_assert_msg(i < args->argc, "argv[%d]: missing, want \"%s\"", i, want);
    ck_assert_msg(args->argvlen[i] == strlen(args->argv[i]),
                  "argv[%d]: length %zu, string \"%s\"", i, args->argvlen[i],
                  args->argv[i]);
    ck_assert_msg(strcmp(args->argv[i], want) == 0,
                  "argv[%d]: got \"%s\", want \"%s\"", i, args->argv[i], want);
}

/* The layout that the header of limit.lua documents, in order. */
START_TEST(build_evalsha_layout)
{
    struct limiter_request req = sample_request();
    struct limiter_argv args;
    static const char *const want[] = {
        "EVALSHA",
        NULL, /* the SHA1 */
        "3",
        "rampart:{203.0.113.10}:day:2026-12-04",
        "rampart:{203.0.113.10}:hour:2026-12-04T10",
        "rampart:{203.0.113.10}:day:2026-12-04:gmail",
        /* mode, clock offset, today */
        "charge",
        "86400",
        "2026-12-04",
        "1796342400",
        "1796428800",
        /* ramp */
        "ramp",
        "rampart:{203.0.113.10}:ramp",
        "rampart:{203.0.113.10}:ramp:log",
        "rampart:{203.0.113.10}:day:",
        "2026-12-01",
        "1",
        "weekly",
        "weekly:100,250:100:1000",
        "recipients",
        "0.80000000000000004",
        "0.10000000000000001",
        "0.001",
        "step_down",
        "1",
        "100",
        /* provider ramps */
        "1",
        "gmail",
        "0.40000000000000002",
        /* limits */
        "3",
        "1796342400",
        "1796428800",
        "1797033600",
        "r",
        "ip",
        "1",
        "1",
        "3",
        "1796378400",
        "1796382000",
        "1796554800",
        "r",
        "n",
        "50",
        "1",
        "3",
        "1796342400",
        "1796428800",
        "1797033600",
        "r",
        "provider",
        "1",
        "1",
        "2",
        /* pacing */
        "pace",
        "rampart:{203.0.113.10}:pace",
        "1796371200",
        "1796414400",
        "1796457600",
        "0",
        "3",
        "1796515200",
    };

    limiter_build(&req, 0, &args);
    ck_assert_int_eq(args.argc, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < args.argc; i++)
        assert_arg(&args, i, want[i] ? want[i] : limit_script_sha1);
    ck_assert_uint_eq(strlen(limit_script_sha1), 40);
    ck_assert_uint_eq(strspn(limit_script_sha1, "0123456789abcdef"), 40);
}
END_TEST

START_TEST(build_eval_check_mode)
{
    struct limiter_request req = sample_request();
    struct limiter_argv args;

    req.mode = LIMITER_CHECK;
    limiter_build(&req, 1, &args);
    assert_arg(&args, 0, "EVAL");
    ck_assert_ptr_eq(args.argv[1], limit_script);
    ck_assert_uint_eq(args.argvlen[1], strlen(limit_script));
    assert_contains(limit_script, "redis.call('TIME')");
    assert_arg(&args, 6, "check");
}
END_TEST

START_TEST(build_explain_without_pacing)
{
    struct limiter_request req = sample_request();
    struct limiter_argv args;

    req.mode = LIMITER_EXPLAIN;
    req.pacing.enabled = 0;
    limiter_build(&req, 0, &args);
    assert_arg(&args, 6, "explain");
    assert_arg(&args, args.argc - 1, "-");
    assert_arg(&args, args.argc - 2, "2");
}
END_TEST

/* A fixed daily cap counted in messages, with other block actions. */
START_TEST(build_fixed_messages)
{
    struct limiter_request req = sample_request();
    struct ramp_config hold = gates;
    struct limiter_argv args;

    req.ramp.schedule = "";
    strcpy(req.ramp.spec, "fixed:20000");
    req.ramp.unit = UNIT_MESSAGES;
    req.ramp.gates = &hold;
    req.limits[0].unit = UNIT_MESSAGES;
    hold.on_block = BLOCK_HOLD;
    limiter_build(&req, 0, &args);
    assert_arg(&args, 17, "");
    assert_arg(&args, 18, "fixed:20000");
    assert_arg(&args, 19, "messages");
    assert_arg(&args, 23, "hold");
    assert_arg(&args, 33, "m");

    hold.on_block = BLOCK_PAUSE;
    limiter_build(&req, 0, &args);
    assert_arg(&args, 23, "pause");
}
END_TEST

/* Every limit, every provider ramp and pacing fit in LIMITER_ARGC_MAX. */
/* A request without the ramp sends "-" in its place. */
START_TEST(build_ramp_skipped)
{
    struct limiter_request req = sample_request();
    struct limiter_argv args;

    req.ramp.skip = 1;
    limiter_build(&req, 0, &args);
    assert_arg(&args, 3 + (int)req.count + 5, "-");
    assert_arg(&args, 3 + (int)req.count + 6, "1"); /* provider ramps */
}
END_TEST

START_TEST(build_max_everything)
{
    struct limiter_request req = sample_request();
    struct limiter_argv args;
    static char names[LIMITER_MAX_PROVIDERS][32];
    const int want_argc = 3 + LIMITER_MAX_LIMITS + 5 + 15 + 1 +
                          2 * LIMITER_MAX_PROVIDERS + 1 +
                          8 * LIMITER_MAX_LIMITS + 8;

    req.count = LIMITER_MAX_LIMITS;
    for (size_t i = 0; i < req.count; i++) {
        snprintf(req.limits[i].key, sizeof(req.limits[i].key), "k%zu", i);
        req.limits[i].cap_kind = LIMITER_CAP_FIXED;
        req.limits[i].cap_value = (double)SCHED_CAP_MAX;
        req.limits[i].window_end = 4102444800;
        req.limits[i].expire_at = 4102444800;
    }
    req.provider_count = LIMITER_MAX_PROVIDERS;
    for (size_t i = 0; i < req.provider_count; i++) {
        snprintf(names[i], sizeof(names[i]), "provider%zu", i);
        req.providers[i].name = names[i];
        req.providers[i].share = 0.125;
    }
    char count[16];
    char last_key[16];

    snprintf(count, sizeof(count), "%d", LIMITER_MAX_LIMITS);
    snprintf(last_key, sizeof(last_key), "k%d", LIMITER_MAX_LIMITS - 1);
    limiter_build(&req, 0, &args);
    ck_assert_int_eq(args.argc, want_argc);
    ck_assert_int_le(args.argc, LIMITER_ARGC_MAX);
    assert_arg(&args, 2, count);
    assert_arg(&args, 3 + LIMITER_MAX_LIMITS - 1, last_key);
    assert_arg(&args, 3 + LIMITER_MAX_LIMITS + 5 + 15, "8");
    assert_arg(&args, 3 + LIMITER_MAX_LIMITS + 5 + 15 + 2 * 8 - 1, "provider7");
    assert_arg(&args, want_argc - 8 - 3, "1000000000000");
    assert_arg(&args, want_argc - 8, "pace");
}
END_TEST

START_TEST(parse_ok_reply)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "ok");
    add_integer(&f, 4);
    add_integer(&f, 250);
    add_integer(&f, 42);
    add_integer(&f, 7);
    add_integer(&f, 12);
    add_integer(&f, 250);
    add_integer(&f, 50);
    add_integer(&f, 100);
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.now, 1796425200);
    ck_assert_int_eq(res.now_usec, 123456);
    ck_assert_int_eq(res.step, 4);
    ck_assert_int_eq(res.cap, 250);
    ck_assert_int_eq(res.used[0], 42);
    ck_assert_int_eq(res.used[1], 7);
    ck_assert_int_eq(res.used[2], 12);
    ck_assert_int_eq(res.caps[0], 250);
    ck_assert_int_eq(res.caps[1], 50);
    ck_assert_int_eq(res.caps[2], 100);
}
END_TEST

/* Redis converts Lua numbers to integers, but bulk strings parse too. */
START_TEST(parse_ok_string_counts)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "ok");
    add_string(&f, "2");
    add_string(&f, "250");
    add_string(&f, "42");
    add_string(&f, "0");
    add_string(&f, "9");
    add_string(&f, "250");
    add_string(&f, "50");
    add_string(&f, "100");
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.step, 2);
    ck_assert_int_eq(res.used[0], 42);
    ck_assert_int_eq(res.used[1], 0);
    ck_assert_int_eq(res.used[2], 9);
}
END_TEST

START_TEST(parse_over_limit)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    over_reply(&f, "limit", 2, 50, 50, 0, "");
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(res.refusal, REFUSED_LIMIT);
    ck_assert_uint_eq(res.over_index, 1);
    ck_assert_int_eq(res.over_used, 50);
    ck_assert_int_eq(res.over_cap, 50);
    ck_assert_int_eq(res.used[1], 50);
    ck_assert_int_eq(res.step, 3);
    ck_assert_int_eq(res.cap, 250);
    ck_assert_int_eq(res.retry_at, 0);
    ck_assert_str_eq(res.detail, "");
    ck_assert_int_eq(res.now, 1796425200);
}
END_TEST

/* Each refusal word maps to its enum, and retry_at and detail pass through. */
START_TEST(parse_over_refusals)
{
    static const struct {
        const char *what;
        enum limiter_refusal refusal;
        long retry_at;
        const char *detail;
    } cases[] = {
        {"start", REFUSED_START, 0, "2026-12-07"},
        {"paused", REFUSED_PAUSED, 1796500000, "gmail: block signal"},
        {"window", REFUSED_WINDOW, 1796457600, ""},
        {"pace", REFUSED_PACE, 1796425236, ""},
    };
    struct limiter_request req = sample_request();

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct limiter_result res;
        struct fake_reply f;
        char err[256] = "";

        over_reply(&f, cases[i].what, 0, 0, 0, cases[i].retry_at,
                   cases[i].detail);
        ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                      "%s: rejected: %s", cases[i].what, err);
        ck_assert_msg(res.refusal == cases[i].refusal,
                      "%s: got refusal %d, want %d", cases[i].what, res.refusal,
                      cases[i].refusal);
        ck_assert_msg(res.retry_at == cases[i].retry_at,
                      "%s: got retry_at %lld, want %ld", cases[i].what,
                      (long long)res.retry_at, cases[i].retry_at);
        ck_assert_msg(strcmp(res.detail, cases[i].detail) == 0,
                      "%s: got detail \"%s\", want \"%s\"", cases[i].what,
                      res.detail, cases[i].detail);
        ck_assert_msg(res.cap == 250, "%s: got cap %ld, want 250",
                      cases[i].what, res.cap);
    }
}
END_TEST

START_TEST(parse_clock_reply)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "clock");
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.status, LIMITER_CLOCK);
    ck_assert_int_eq(res.now, 1796425200);
    ck_assert_int_eq(res.now_usec, 123456);
}
END_TEST

START_TEST(parse_schedule_reply)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "schedule");
    add_string(&f, "fast");
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.status, LIMITER_SCHEDULE);
    ck_assert_str_eq(res.detail, "fast");

    /* a fixed daily cap is the empty name */
    start_array(&f, "schedule");
    add_string(&f, "");
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_str_eq(res.detail, "");
}
END_TEST

START_TEST(parse_error_reply)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    char text[] = "NOSCRIPT No matching script. Please use EVAL.";
    redisReply reply = {
        .type = REDIS_REPLY_ERROR, .str = text, .len = sizeof(text) - 1};
    char err[256] = "";

    ck_assert_int_eq(limiter_parse(&reply, &req, &res, err, sizeof(err)), -1);
    ck_assert_str_eq(err,
                     "Redis error: NOSCRIPT No matching script. Please use "
                     "EVAL.");
}
END_TEST

START_TEST(parse_noauth_hint)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    char text[] = "NOAUTH Authentication required.";
    redisReply reply = {
        .type = REDIS_REPLY_ERROR, .str = text, .len = sizeof(text) - 1};
    char err[256] = "";

    ck_assert_int_eq(limiter_parse(&reply, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "Redis error: NOAUTH Authentication required.");
    assert_contains(err, "set redis.password_file");
}
END_TEST

START_TEST(parse_wrong_reply_types)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    redisReply nil = {.type = REDIS_REPLY_NIL};
    redisReply integer = {.type = REDIS_REPLY_INTEGER, .integer = 1};
    redisReply empty = {.type = REDIS_REPLY_ARRAY};
    const redisReply *replies[] = {&nil, &integer, &empty};

    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        char err[256] = "";

        ck_assert_int_eq(
            limiter_parse(replies[i], &req, &res, err, sizeof(err)), -1);
        assert_contains(err, "unexpected reply from the decision script");
    }
}
END_TEST

/* Each reply below has one bad element, and the error names the status. */
START_TEST(parse_malformed_arrays)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256];

    /* an "ok" reply with counts but no caps for three limits */
    start_array(&f, "ok");
    add_integer(&f, 1);
    add_integer(&f, 100);
    add_integer(&f, 1);
    add_integer(&f, 1);
    add_integer(&f, 1);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"ok\" with 8 elements");

    /* a count that is not a number */
    start_array(&f, "ok");
    add_integer(&f, 1);
    add_integer(&f, 100);
    add_integer(&f, 1);
    add_string(&f, "12abc");
    add_integer(&f, 1);
    add_integer(&f, 1);
    add_integer(&f, 1);
    add_integer(&f, 1);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"ok\"");

    /* limit indexes count from 1 up to the request's count */
    over_reply(&f, "limit", 4, 10, 10, 0, "");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"over\"");

    over_reply(&f, "limit", 0, 10, 10, 0, "");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"over\"");

    /* an unknown refusal word */
    over_reply(&f, "later", 0, 0, 0, 0, "");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"over\" with 11 elements");

    /* an "over" reply without the source cap */
    over_reply(&f, "window", 0, 0, 0, 0, "");
    f.top.elements--;
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"over\" with 10 elements");

    start_array(&f, "clock");
    add_integer(&f, 1);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"clock\" with 4 elements");

    start_array(&f, "schedule");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"schedule\" with 3 elements");

    start_array(&f, "maybe");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"maybe\"");
}
END_TEST

START_TEST(parse_bad_time_fields)
{
    struct limiter_request req = sample_request();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "clock");
    f.text[1][0] = 'x'; /* sec "x796425200" */
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "unexpected reply from the decision script");

    start_array(&f, "clock");
    f.items[0] = (redisReply){.type = REDIS_REPLY_INTEGER, .integer = 1};
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "unexpected reply from the decision script");
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("limiter");
    TCase *build = tcase_create("build");
    TCase *parse = tcase_create("parse");

    tcase_add_test(build, build_evalsha_layout);
    tcase_add_test(build, build_eval_check_mode);
    tcase_add_test(build, build_explain_without_pacing);
    tcase_add_test(build, build_fixed_messages);
    tcase_add_test(build, build_ramp_skipped);
    tcase_add_test(build, build_max_everything);
    suite_add_tcase(s, build);

    tcase_add_test(parse, parse_ok_reply);
    tcase_add_test(parse, parse_ok_string_counts);
    tcase_add_test(parse, parse_over_limit);
    tcase_add_test(parse, parse_over_refusals);
    tcase_add_test(parse, parse_clock_reply);
    tcase_add_test(parse, parse_schedule_reply);
    tcase_add_test(parse, parse_error_reply);
    tcase_add_test(parse, parse_noauth_hint);
    tcase_add_test(parse, parse_wrong_reply_types);
    tcase_add_test(parse, parse_malformed_arrays);
    tcase_add_test(parse, parse_bad_time_fields);
    suite_add_tcase(s, parse);
    return s;
}

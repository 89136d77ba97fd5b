/*
 * test_limiter.c - limiter_build() and limiter_parse() without a network
 *
 * The replies are hand-made redisReply trees shaped like those hiredis
 * builds for the script's return values.
 */
#include "check_main.h"
#include "limiter.h"

#include <stdio.h>

/* Storage for one hand-made reply of up to 8 elements. */
struct fake_reply {
    redisReply top;
    redisReply items[8];
    redisReply *pointers[8];
    char text[8][48];
};

static void add_string(struct fake_reply *f, const char *s)
{
    size_t i = f->top.elements++;

    ck_assert_uint_lt(i, 8);
    snprintf(f->text[i], sizeof(f->text[i]), "%s", s);
    f->items[i] = (redisReply){.type = REDIS_REPLY_STRING,
                               .str = f->text[i],
                               .len = strlen(f->text[i])};
    f->pointers[i] = &f->items[i];
}

static void add_integer(struct fake_reply *f, long long value)
{
    size_t i = f->top.elements++;

    ck_assert_uint_lt(i, 8);
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

/* A request with two limits: recipients capped at 100, messages at 10. */
static struct limiter_request two_limits(void)
{
    struct limiter_request req = {
        .charge = 1, .messages = 1, .recipients = 3, .count = 2};

    strcpy(req.limits[0].key, "rampart:{203.0.113.10}:day:2026-12-04");
    req.limits[0].unit = UNIT_RECIPIENTS;
    req.limits[0].cap = 100;
    req.limits[0].window_start = 1796338800;
    req.limits[0].window_end = 1796425200;
    req.limits[0].expire_at = 1797030000;
    strcpy(req.limits[1].key, "rampart:{203.0.113.10}:other");
    req.limits[1].unit = UNIT_MESSAGES;
    req.limits[1].cap = 10;
    req.limits[1].window_start = 0;
    req.limits[1].window_end = 4102444800;
    req.limits[1].expire_at = 4103049600;
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

START_TEST(build_evalsha_two_limits)
{
    struct limiter_request req = two_limits();
    struct limiter_argv args;
    static const char *const want[] = {
        "EVALSHA",
        NULL, /* the SHA1 */
        "2",
        "rampart:{203.0.113.10}:day:2026-12-04",
        "rampart:{203.0.113.10}:other",
        "charge",
        "1",
        "3",
        "1796338800",
        "1796425200",
        "1797030000",
        "r",
        "100",
        "0",
        "4102444800",
        "4103049600",
        "m",
        "10",
    };

    limiter_build(&req, 0, &args);
    ck_assert_int_eq(args.argc, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < args.argc; i++)
        assert_arg(&args, i, want[i] ? want[i] : limiter_script_sha1);
    ck_assert_uint_eq(strlen(limiter_script_sha1), 40);
    ck_assert_uint_eq(strspn(limiter_script_sha1, "0123456789abcdef"), 40);
}
END_TEST

START_TEST(build_eval_check_mode)
{
    struct limiter_request req = two_limits();
    struct limiter_argv args;

    req.charge = 0;
    limiter_build(&req, 1, &args);
    assert_arg(&args, 0, "EVAL");
    ck_assert_ptr_eq(args.argv[1], limiter_script);
    ck_assert_uint_eq(args.argvlen[1], strlen(limiter_script));
    assert_contains(limiter_script, "redis.call('TIME')");
    assert_arg(&args, 5, "check");
}
END_TEST

START_TEST(build_max_limits)
{
    struct limiter_request req = {.charge = 1, .messages = 1, .recipients = 50};
    struct limiter_argv args;

    req.count = LIMITER_MAX_LIMITS;
    for (size_t i = 0; i < req.count; i++) {
        snprintf(req.limits[i].key, sizeof(req.limits[i].key), "k%zu", i);
        req.limits[i].cap = SCHED_CAP_MAX;
        req.limits[i].window_end = 4102444800;
        req.limits[i].expire_at = 4102444800;
    }
    limiter_build(&req, 0, &args);
    ck_assert_int_eq(args.argc, LIMITER_ARGC_MAX);
    assert_arg(&args, 2, "8");
    assert_arg(&args, 3 + LIMITER_MAX_LIMITS - 1, "k7");
    assert_arg(&args, LIMITER_ARGC_MAX - 1, "1000000000000");
}
END_TEST

START_TEST(parse_ok_reply)
{
    struct limiter_request req = two_limits();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "ok");
    add_integer(&f, 42);
    add_integer(&f, 7);
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.now, 1796425200);
    ck_assert_int_eq(res.now_usec, 123456);
    ck_assert_int_eq(res.used[0], 42);
    ck_assert_int_eq(res.used[1], 7);
}
END_TEST

/* Redis converts Lua numbers to integers, but bulk strings parse too. */
START_TEST(parse_ok_string_counts)
{
    struct limiter_request req = two_limits();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "ok");
    add_string(&f, "42");
    add_string(&f, "0");
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.used[0], 42);
    ck_assert_int_eq(res.used[1], 0);
}
END_TEST

START_TEST(parse_over_reply)
{
    struct limiter_request req = two_limits();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "over");
    add_integer(&f, 2);
    add_integer(&f, 10);
    add_integer(&f, 10);
    ck_assert_msg(limiter_parse(&f.top, &req, &res, err, sizeof(err)) == 0,
                  "rejected: %s", err);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_uint_eq(res.over_index, 1);
    ck_assert_int_eq(res.used[1], 10);
    ck_assert_int_eq(res.now, 1796425200);
}
END_TEST

START_TEST(parse_clock_reply)
{
    struct limiter_request req = two_limits();
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

START_TEST(parse_error_reply)
{
    struct limiter_request req = two_limits();
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

START_TEST(parse_wrong_reply_types)
{
    struct limiter_request req = two_limits();
    struct limiter_result res;
    redisReply nil = {.type = REDIS_REPLY_NIL};
    redisReply integer = {.type = REDIS_REPLY_INTEGER, .integer = 1};
    redisReply empty = {.type = REDIS_REPLY_ARRAY};
    const redisReply *replies[] = {&nil, &integer, &empty};

    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        char err[256] = "";

        ck_assert_int_eq(
            limiter_parse(replies[i], &req, &res, err, sizeof(err)), -1);
        assert_contains(err, "unexpected reply from the limiter script");
    }
}
END_TEST

/* Each reply below has one bad element, and the error names the status. */
START_TEST(parse_malformed_arrays)
{
    struct limiter_request req = two_limits();
    struct limiter_result res;
    struct fake_reply f;
    char err[256];

    /* an "ok" reply with one count for two limits */
    start_array(&f, "ok");
    add_integer(&f, 1);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"ok\" with 4 elements");

    /* a count that is not a number */
    start_array(&f, "ok");
    add_integer(&f, 1);
    add_string(&f, "12abc");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"ok\"");

    /* limit indexes count from 1 up to the request's count */
    start_array(&f, "over");
    add_integer(&f, 3);
    add_integer(&f, 10);
    add_integer(&f, 10);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"over\"");

    start_array(&f, "over");
    add_integer(&f, 0);
    add_integer(&f, 10);
    add_integer(&f, 10);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);

    start_array(&f, "clock");
    add_integer(&f, 1);
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"clock\" with 4 elements");

    start_array(&f, "maybe");
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "status \"maybe\"");
}
END_TEST

START_TEST(parse_bad_time_fields)
{
    struct limiter_request req = two_limits();
    struct limiter_result res;
    struct fake_reply f;
    char err[256] = "";

    start_array(&f, "clock");
    f.text[1][0] = 'x'; /* sec "x796425200" */
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "unexpected reply from the limiter script");

    start_array(&f, "clock");
    f.items[0] = (redisReply){.type = REDIS_REPLY_INTEGER, .integer = 1};
    err[0] = '\0';
    ck_assert_int_eq(limiter_parse(&f.top, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "unexpected reply from the limiter script");
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("limiter");
    TCase *build = tcase_create("build");
    TCase *parse = tcase_create("parse");

    tcase_add_test(build, build_evalsha_two_limits);
    tcase_add_test(build, build_eval_check_mode);
    tcase_add_test(build, build_max_limits);
    suite_add_tcase(s, build);

    tcase_add_test(parse, parse_ok_reply);
    tcase_add_test(parse, parse_ok_string_counts);
    tcase_add_test(parse, parse_over_reply);
    tcase_add_test(parse, parse_clock_reply);
    tcase_add_test(parse, parse_error_reply);
    tcase_add_test(parse, parse_wrong_reply_types);
    tcase_add_test(parse, parse_malformed_arrays);
    tcase_add_test(parse, parse_bad_time_fields);
    suite_add_tcase(s, parse);
    return s;
}

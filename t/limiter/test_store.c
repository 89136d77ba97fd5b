/*
 * test_store.c - store_limit() and limit.lua against a real redis-server
 *
 * Each test gets a fresh server (see redis_server.h) and a store with a
 * 2 s timeout unless it builds its own.
 */
#include "check_main.h"
#include "fixed_request.h"
#include "redis_server.h"
#include "store.h"
#include "test_files.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static struct redis_server server;
static struct store *store;

static void setup(void)
{
    struct redis_config rc;

    /*
     * Ignore SIGPIPE as the daemons do, so that a write to a closed socket
     * fails with EPIPE instead of killing the test.
     */
    signal(SIGPIPE, SIG_IGN);
    redis_server_start(&server, NULL);
    redis_server_config(&server, 2000, &rc);
    store = store_open(&rc);
    ck_assert_ptr_nonnull(store);
}

static void teardown(void)
{
    store_close(store);
    store = NULL;
    redis_server_cleanup(&server);
}

/* A request for one message of "recipients" against one limit. */
static struct limiter_request one_limit(const char *key, long cap,
                                        enum limiter_mode mode, long recipients)
{
    struct limiter_request req;

    fixed_request(&req, key, cap, mode, recipients);
    return req;
}

static void limit_ok(const struct limiter_request *req,
                     struct limiter_result *res)
{
    char err[512] = "";

    ck_assert_msg(store_limit(store, req, res, err, sizeof(err)) == 0,
                  "store_limit failed: %s", err);
}

static long field(const char *key, const char *name)
{
    return redis_server_field(&server, key, name);
}

static double elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

START_TEST(cap_admits_exactly_n)
{
    const char *key = "t:{192.0.2.1}:day:cap";
    struct limiter_request req = one_limit(key, 10, LIMITER_CHARGE, 1);
    struct limiter_result res;

    for (long n = 1; n <= 10; n++) {
        limit_ok(&req, &res);
        ck_assert_msg(res.status == LIMITER_OK,
                      "charge %ld: got status %d, want LIMITER_OK", n,
                      res.status);
        ck_assert_msg(res.used[0] == n, "charge %ld: got used %ld, want %ld", n,
                      res.used[0], n);
    }
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_uint_eq(res.over_index, 0);
    ck_assert_int_eq(res.used[0], 10);
    ck_assert_int_eq(field(key, "recipients"), 10);
    ck_assert_int_eq(field(key, "messages"), 10);
    ck_assert_int_eq(field(key, "tempfailed"), 1);
}
END_TEST

/* A cap of 10 admits one message of exactly 10 recipients, not 11. */
START_TEST(cap_is_inclusive)
{
    struct limiter_request exact =
        one_limit("t:{192.0.2.1}:exact", 10, LIMITER_CHARGE, 10);
    struct limiter_request over =
        one_limit("t:{192.0.2.1}:over", 10, LIMITER_CHARGE, 11);
    struct limiter_result res;

    limit_ok(&exact, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 10);

    fixed_request_recipients(&exact, 1);
    limit_ok(&exact, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);

    limit_ok(&over, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(res.used[0], 0);
    ck_assert_int_eq(field("t:{192.0.2.1}:over", "recipients"), -1);
    /* a refused charge counts every recipient of the message */
    ck_assert_int_eq(field("t:{192.0.2.1}:over", "tempfailed"), 11);
}
END_TEST

START_TEST(check_mode_keeps_counts)
{
    const char *key = "t:{192.0.2.1}:check";
    struct limiter_request charge = one_limit(key, 5, LIMITER_CHARGE, 2);
    struct limiter_request check = one_limit(key, 5, LIMITER_CHECK, 3);
    struct limiter_result res;

    limit_ok(&charge, &res);
    limit_ok(&charge, &res);
    ck_assert_int_eq(res.used[0], 4);

    /* 4 + 1 fits: OK, and the count stays 4 */
    fixed_request_recipients(&check, 1);
    limit_ok(&check, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 4);
    ck_assert_int_eq(field(key, "recipients"), 4);
    ck_assert_int_eq(field(key, "messages"), 2);
    ck_assert_int_eq(field(key, "tempfailed"), -1);

    /* 4 + 2 does not fit: only tempfailed changes, by one per check */
    fixed_request_recipients(&check, 2);
    limit_ok(&check, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(res.used[0], 4);
    ck_assert_int_eq(field(key, "recipients"), 4);
    ck_assert_int_eq(field(key, "messages"), 2);
    ck_assert_int_eq(field(key, "tempfailed"), 1);
}
END_TEST

START_TEST(check_mode_creates_no_key)
{
    const char *key = "t:{192.0.2.1}:fresh";
    struct limiter_request check = one_limit(key, 5, LIMITER_CHECK, 5);
    struct limiter_result res;

    limit_ok(&check, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 0);
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", key), 0);
}
END_TEST

START_TEST(messages_unit_counts_messages)
{
    const char *key = "t:{192.0.2.1}:messages";
    struct limiter_request req = one_limit(key, 2, LIMITER_CHARGE, 5);
    struct limiter_result res;

    req.limits[0].unit = UNIT_MESSAGES;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.used[0], 1);
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 2);
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(field(key, "messages"), 2);
    ck_assert_int_eq(field(key, "recipients"), 10);
    ck_assert_int_eq(field(key, "tempfailed"), 5);
}
END_TEST

/* When the second limit has no room, the first is not charged either. */
START_TEST(all_or_none_two_limits)
{
    const char *wide = "t:{192.0.2.1}:wide";
    const char *narrow = "t:{192.0.2.1}:narrow";
    struct limiter_request req = one_limit(wide, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;

    fixed_request_add(&req, narrow, 1);
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 1);
    ck_assert_int_eq(res.used[1], 1);

    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_uint_eq(res.over_index, 1);
    ck_assert_int_eq(res.used[1], 1);
    ck_assert_int_eq(field(wide, "recipients"), 1);
    ck_assert_int_eq(field(wide, "messages"), 1);
    /* the first limit is the source's day counter: it counts every refusal */
    ck_assert_int_eq(field(wide, "tempfailed"), 1);
    ck_assert_int_eq(field(narrow, "recipients"), 1);
    ck_assert_int_eq(field(narrow, "tempfailed"), 1);
}
END_TEST

/* A refusal by the first limit leaves the second key untouched. */
START_TEST(first_limit_refusal_skips_second)
{
    const char *closed = "t:{192.0.2.1}:closed";
    const char *open = "t:{192.0.2.1}:open";
    struct limiter_request req = one_limit(closed, 0, LIMITER_CHARGE, 1);
    struct limiter_result res;

    fixed_request_add(&req, open, 100);
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_uint_eq(res.over_index, 0);
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", open), 0);
}
END_TEST

START_TEST(ttl_set_when_key_created)
{
    const char *key = "t:{192.0.2.1}:ttl";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;
    long long ttl;

    req.limits[0].expire_at = time(NULL) + 5000;
    limit_ok(&req, &res);
    ttl = redis_server_integer(&server, "TTL %s", key);
    ck_assert_msg(ttl > 4990 && ttl <= 5000, "got TTL %lld, want about 5000",
                  ttl);

    /* a later charge with another expire_at keeps the first TTL */
    req.limits[0].expire_at = time(NULL) + 9000;
    limit_ok(&req, &res);
    ttl = redis_server_integer(&server, "TTL %s", key);
    ck_assert_msg(ttl > 4990 && ttl <= 5000, "got TTL %lld, want about 5000",
                  ttl);
    ck_assert_int_eq(field(key, "recipients"), 2);
}
END_TEST

/* A refusal that creates the key (tempfailed) sets its TTL too. */
START_TEST(ttl_set_on_refusal)
{
    const char *key = "t:{192.0.2.1}:refused";
    struct limiter_request req = one_limit(key, 0, LIMITER_CHECK, 1);
    struct limiter_result res;
    long long ttl;

    req.limits[0].expire_at = time(NULL) + 3000;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ttl = redis_server_integer(&server, "TTL %s", key);
    ck_assert_msg(ttl > 2990 && ttl <= 3000, "got TTL %lld, want about 3000",
                  ttl);
}
END_TEST

/* Caps are not part of the key, so editing one keeps today's count. */
START_TEST(cap_edit_keeps_count)
{
    const char *key = "t:{192.0.2.1}:edit";
    struct limiter_request req = one_limit(key, 10, LIMITER_CHARGE, 3);
    struct limiter_result res;

    limit_ok(&req, &res);
    ck_assert_int_eq(res.used[0], 3);

    req.limits[0].cap_value = 20;
    fixed_request_recipients(&req, 1);
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 4);

    req.limits[0].cap_value = 4;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(res.used[0], 4);

    req.limits[0].cap_value = 2;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(res.used[0], 4);
    ck_assert_int_eq(field(key, "recipients"), 4);
}
END_TEST

START_TEST(clock_outside_window)
{
    const char *key = "t:{192.0.2.1}:clock";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;
    time_t now = time(NULL);

    /* a window that starts in an hour */
    req.limits[0].window_start = now + 3600;
    req.limits[0].window_end = now + 7200;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_CLOCK);
    ck_assert_msg(res.now >= now - 5 && res.now <= now + 5,
                  "got Redis time %lld, want about %lld", (long long)res.now,
                  (long long)now);

    /* a window that ended an hour ago */
    req.limits[0].window_start = now - 7200;
    req.limits[0].window_end = now - 3600;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_CLOCK);
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", key), 0);
}
END_TEST

/* Redis time outside the request's day: "clock", and no key is written. */
START_TEST(clock_outside_day)
{
    const char *key = "t:{192.0.2.1}:day";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;

    req.day.start = time(NULL) + 3600;
    req.day.end = req.day.start + 86400;
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_CLOCK);
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", key), 0);
    ck_assert_int_eq(
        redis_server_integer(&server, "EXISTS %s", req.ramp.state_key), 0);
}
END_TEST

/* Explain mode refuses like a check but writes no counter and no state. */
START_TEST(explain_writes_nothing)
{
    const char *key = "t:{192.0.2.1}:explain";
    struct limiter_request req = one_limit(key, 0, LIMITER_EXPLAIN, 1);
    struct limiter_result res;

    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OVER);
    ck_assert_int_eq(res.refusal, REFUSED_LIMIT);
    ck_assert_int_eq(res.cap, 1000000);
    ck_assert_int_eq(redis_server_integer(&server, "DBSIZE"), 0);
}
END_TEST

/* The script is loaded by EVAL when Redis lacks it, e.g. after a flush. */
START_TEST(noscript_falls_back_to_eval)
{
    const char *key = "t:{192.0.2.1}:noscript";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;
    redisReply *reply;

    reply =
        redis_server_command(&server, "SCRIPT EXISTS %s", limit_script_sha1);
    ck_assert_int_eq(reply->element[0]->integer, 0);
    freeReplyObject(reply);

    limit_ok(&req, &res);
    ck_assert_int_eq(res.used[0], 1);
    reply =
        redis_server_command(&server, "SCRIPT EXISTS %s", limit_script_sha1);
    ck_assert_int_eq(reply->element[0]->integer, 1);
    freeReplyObject(reply);

    reply = redis_server_command(&server, "SCRIPT FLUSH");
    ck_assert_int_eq(reply->type, REDIS_REPLY_STATUS);
    freeReplyObject(reply);
    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 2);
}
END_TEST

START_TEST(non_integer_field_error)
{
    const char *key = "t:{192.0.2.1}:garbled";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;
    char err[512] = "";
    redisReply *reply;

    reply = redis_server_command(&server, "HSET %s recipients abc", key);
    freeReplyObject(reply);
    ck_assert_int_eq(store_limit(store, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, key);
    assert_contains(err, "field recipients holds \"abc\", not an integer");
    assert_contains(err, "fix or delete the field");
}
END_TEST

START_TEST(non_integer_step_error)
{
    const char *key = "t:{192.0.2.1}:step";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;
    char err[512] = "";
    redisReply *reply;

    reply =
        redis_server_command(&server, "HSET %s step 2x", req.ramp.state_key);
    freeReplyObject(reply);
    ck_assert_int_eq(store_limit(store, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, req.ramp.state_key);
    assert_contains(err, "field step holds \"2x\", not an integer");
    assert_contains(err, "rampartctl set-step");
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", key), 0);
}
END_TEST

START_TEST(wrong_key_type_error)
{
    const char *key = "t:{192.0.2.1}:string";
    struct limiter_request req = one_limit(key, 100, LIMITER_CHARGE, 1);
    struct limiter_result res;
    char err[512] = "";
    redisReply *reply;

    reply = redis_server_command(&server, "SET %s 5", key);
    freeReplyObject(reply);
    ck_assert_int_eq(store_limit(store, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "Redis error: WRONGTYPE");
    assert_contains(err, "wrong kind of value");
}
END_TEST

START_TEST(redis_down_fails_fast)
{
    struct redis_config rc;
    struct store *down;
    struct limiter_request req =
        one_limit("t:{192.0.2.1}:down", 10, LIMITER_CHARGE, 1);
    struct limiter_result res;
    struct timespec start;
    char err[512] = "";
    double ms;
    int n;

    redis_server_config(&server, 2000, &rc);
    n = snprintf(rc.endpoint.path, sizeof(rc.endpoint.path), "%s/absent.sock",
                 server.dir);
    ck_assert_int_lt(n, (int)sizeof(rc.endpoint.path));
    down = store_open(&rc);
    clock_gettime(CLOCK_MONOTONIC, &start);
    ck_assert_int_eq(store_limit(down, &req, &res, err, sizeof(err)), -1);
    ms = elapsed_ms(&start);
    ck_assert_msg(ms < 200, "failed after %.1f ms, want well under 2000", ms);
    assert_contains(err, rc.endpoint.path);
    assert_contains(err, "No such file or directory");
    store_close(down);
}
END_TEST

/* A server stopped with SIGSTOP accepts connections but never replies. */
START_TEST(frozen_server_times_out)
{
    const int timeout_ms = 300;
    struct redis_config rc;
    struct store *pooled;
    struct store *fresh;
    struct limiter_request req =
        one_limit("t:{192.0.2.1}:frozen", 10, LIMITER_CHECK, 1);
    struct limiter_result res;
    struct timespec start;
    char err[512];
    double ms;

    redis_server_config(&server, timeout_ms, &rc);
    pooled = store_open(&rc);
    fresh = store_open(&rc);
    err[0] = '\0';
    ck_assert_msg(store_limit(pooled, &req, &res, err, sizeof(err)) == 0,
                  "store_limit failed: %s", err);

    ck_assert_int_eq(kill(server.pid, SIGSTOP), 0);

    /* on the connection kept in the pool */
    err[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &start);
    ck_assert_int_eq(store_limit(pooled, &req, &res, err, sizeof(err)), -1);
    ms = elapsed_ms(&start);
    ck_assert_msg(ms <= timeout_ms + 100, "returned after %.1f ms, want <= %d",
                  ms, timeout_ms + 100);
    assert_contains(err, "timed out");

    /* on a new connection */
    err[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &start);
    ck_assert_int_eq(store_limit(fresh, &req, &res, err, sizeof(err)), -1);
    ms = elapsed_ms(&start);
    ck_assert_msg(ms <= timeout_ms + 100, "returned after %.1f ms, want <= %d",
                  ms, timeout_ms + 100);
    assert_contains(err, "timed out");
    assert_contains(err, server.socket);

    ck_assert_int_eq(kill(server.pid, SIGCONT), 0);
    err[0] = '\0';
    ck_assert_msg(store_limit(pooled, &req, &res, err, sizeof(err)) == 0,
                  "store_limit after SIGCONT failed: %s", err);
    store_close(pooled);
    store_close(fresh);
}
END_TEST

#define THREADS    8
#define SHARED_CAP 2000

struct worker {
    pthread_t thread;
    long admitted;
    long refused;
    char err[512];
};

static void *charge_until_refused(void *arg)
{
    struct worker *w = arg;
    struct limiter_request req =
        one_limit("t:{192.0.2.1}:shared", SHARED_CAP, LIMITER_CHARGE, 1);
    struct limiter_result res;

    for (;;) {
        if (store_limit(store, &req, &res, w->err, sizeof(w->err)) != 0)
            break;
        if (res.status != LIMITER_OK) {
            w->refused++;
            break;
        }
        w->admitted++;
    }
    return NULL;
}

START_TEST(threads_share_cap_exactly)
{
    struct worker workers[THREADS];
    long admitted = 0;

    memset(workers, 0, sizeof(workers));
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&workers[i].thread, NULL,
                                        charge_until_refused, &workers[i]),
                         0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(workers[i].thread, NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(workers[i].err[0] == '\0', "thread %d: %s", i,
                      workers[i].err);
        ck_assert_msg(workers[i].refused == 1,
                      "thread %d: got %ld refusals, want 1", i,
                      workers[i].refused);
        admitted += workers[i].admitted;
    }
    ck_assert_int_eq(admitted, SHARED_CAP);
    ck_assert_int_eq(field("t:{192.0.2.1}:shared", "recipients"), SHARED_CAP);
    ck_assert_int_eq(field("t:{192.0.2.1}:shared", "tempfailed"), THREADS);
}
END_TEST

/*
 * A pooled connection from before a restart fails at once; store_limit
 * retries it on a new connection to the new server.
 */
START_TEST(restart_retries_stale_connection)
{
    struct limiter_request req =
        one_limit("t:{192.0.2.1}:restart", 10, LIMITER_CHARGE, 1);
    struct limiter_result res;
    char err[512] = "";

    limit_ok(&req, &res);
    ck_assert_int_eq(res.used[0], 1);
    redis_server_stop(&server);
    redis_server_restart(&server);

    limit_ok(&req, &res);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(res.used[0], 1);

    /* with the server gone for good, the error names the socket */
    redis_server_stop(&server);
    ck_assert_int_eq(store_limit(store, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, server.socket);
}
END_TEST

/* store_command passes error replies through as replies. */
START_TEST(command_returns_error_reply)
{
    const char *argv[] = {"NOSUCHCOMMAND"};
    size_t argvlen[] = {13};
    char err[512] = "";
    redisReply *reply =
        store_command(store, 1, argv, argvlen, err, sizeof(err));

    ck_assert_msg(reply != NULL, "store_command failed: %s", err);
    ck_assert_int_eq(reply->type, REDIS_REPLY_ERROR);
    assert_contains(reply->str, "unknown command");
    freeReplyObject(reply);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("store");
    TCase *counts = tcase_create("counts");
    TCase *failures = tcase_create("failures");
    TCase *concurrency = tcase_create("concurrency");

    tcase_add_checked_fixture(counts, setup, teardown);
    tcase_set_timeout(counts, 30);
    tcase_add_test(counts, cap_admits_exactly_n);
    tcase_add_test(counts, cap_is_inclusive);
    tcase_add_test(counts, check_mode_keeps_counts);
    tcase_add_test(counts, check_mode_creates_no_key);
    tcase_add_test(counts, messages_unit_counts_messages);
    tcase_add_test(counts, all_or_none_two_limits);
    tcase_add_test(counts, first_limit_refusal_skips_second);
    tcase_add_test(counts, ttl_set_when_key_created);
    tcase_add_test(counts, ttl_set_on_refusal);
    tcase_add_test(counts, cap_edit_keeps_count);
    tcase_add_test(counts, clock_outside_window);
    tcase_add_test(counts, clock_outside_day);
    tcase_add_test(counts, explain_writes_nothing);
    tcase_add_test(counts, noscript_falls_back_to_eval);
    suite_add_tcase(s, counts);

    tcase_add_checked_fixture(failures, setup, teardown);
    tcase_set_timeout(failures, 30);
    tcase_add_test(failures, non_integer_field_error);
    tcase_add_test(failures, non_integer_step_error);
    tcase_add_test(failures, wrong_key_type_error);
    tcase_add_test(failures, redis_down_fails_fast);
    tcase_add_test(failures, frozen_server_times_out);
    tcase_add_test(failures, restart_retries_stale_connection);
    tcase_add_test(failures, command_returns_error_reply);
    suite_add_tcase(s, failures);

    tcase_add_checked_fixture(concurrency, setup, teardown);
    tcase_set_timeout(concurrency, 120);
    tcase_add_test(concurrency, threads_share_cap_exactly);
    suite_add_tcase(s, concurrency);
    return s;
}

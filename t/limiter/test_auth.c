/*
 * test_auth.c - AUTH with redis.password_file, and SELECT of
 * redis.database, against a real redis-server
 */
#include "check_main.h"
#include "fixed_request.h"
#include "redis_server.h"
#include "store.h"
#include "test_files.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct redis_server server;
static char password[64];

/* A request that charges one recipient to "key" now. */
static struct limiter_request charge_one(const char *key)
{
    struct limiter_request req;

    fixed_request(&req, key, 100, LIMITER_CHARGE, 1);
    return req;
}

/*
 * Write a rampart.conf for the test server with the given extra redis
 * keys and load it.
 */
static struct rampart_config *load_config(const char *redis_keys)
{
    char text[1024];
    char path[512];
    char *errors = NULL;
    struct rampart_config *cfg;

    snprintf(text, sizeof(text),
             "redis = {\n    address = \"unix:%s\";\n    timeout_ms = 2000;\n"
             "%s};\n"
             "sources = ( { address = \"203.0.113.10\"; daily_cap = 1; } );\n"
             "routes = ( { source = \"203.0.113.10\"; } );\n",
             server.socket, redis_keys);
    file_write(path, sizeof(path), server.dir, "rampart.conf", text);
    cfg = config_load(path, &errors);
    ck_assert_msg(cfg != NULL, "rampart.conf rejected: %s", errors);
    return cfg;
}

/* Write "secret" to a password file and return config keys naming it. */
static void password_keys(const char *name, const char *secret, char *keys,
                          size_t len)
{
    char path[512];
    char line[200];

    snprintf(line, sizeof(line), "%s\n", secret);
    file_write(path, sizeof(path), server.dir, name, line);
    snprintf(keys, len, "    password_file = \"%s\";\n", path);
}

static void auth_setup(void)
{
    snprintf(password, sizeof(password), "rampart-test-%ld-%ld", (long)getpid(),
             (long)time(NULL));
    redis_server_start(&server, password);
}

static void plain_setup(void)
{
    redis_server_start(&server, NULL);
}

static void teardown(void)
{
    redis_server_cleanup(&server);
}

START_TEST(password_file_auth_works)
{
    char keys[600];
    struct rampart_config *cfg;
    struct store *st;
    struct limiter_request req = charge_one("t:{192.0.2.1}:auth");
    struct limiter_result res;
    char err[512] = "";

    password_keys("redis.password", password, keys, sizeof(keys));
    cfg = load_config(keys);
    ck_assert_str_eq(cfg->redis.password, password);
    st = store_open(&cfg->redis);
    ck_assert_msg(store_limit(st, &req, &res, err, sizeof(err)) == 0,
                  "store_limit failed: %s", err);
    ck_assert_int_eq(res.status, LIMITER_OK);
    ck_assert_int_eq(
        redis_server_field(&server, req.limits[0].key, "recipients"), 1);
    store_close(st);
    config_free(cfg);
}
END_TEST

/* With Redis 6 ACLs, requirepass sets the password of the user "default". */
START_TEST(username_and_password_work)
{
    char keys[700];
    char password_key[600];
    struct rampart_config *cfg;
    struct store *st;
    struct limiter_request req = charge_one("t:{192.0.2.1}:acl");
    struct limiter_result res;
    char err[512] = "";

    password_keys("redis.password", password, password_key,
                  sizeof(password_key));
    snprintf(keys, sizeof(keys), "    username = \"default\";\n%s",
             password_key);
    cfg = load_config(keys);
    st = store_open(&cfg->redis);
    ck_assert_msg(store_limit(st, &req, &res, err, sizeof(err)) == 0,
                  "store_limit failed: %s", err);
    store_close(st);
    config_free(cfg);
}
END_TEST

START_TEST(wrong_password_hidden)
{
    const char *wrong = "not-the-password-0xdeadbeef";
    char keys[600];
    struct rampart_config *cfg;
    struct store *st;
    struct limiter_request req = charge_one("t:{192.0.2.1}:wrong");
    struct limiter_result res;
    char err[512] = "";

    password_keys("wrong.password", wrong, keys, sizeof(keys));
    cfg = load_config(keys);
    st = store_open(&cfg->redis);
    ck_assert_int_eq(store_limit(st, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "Redis AUTH failed");
    assert_contains(err, "redis.password_file");
    assert_lacks(err, wrong);
    assert_lacks(err, password);
    ck_assert_int_eq(
        redis_server_integer(&server, "EXISTS %s", req.limits[0].key), 0);
    store_close(st);
    config_free(cfg);
}
END_TEST

START_TEST(missing_password_rejected)
{
    struct rampart_config *cfg = load_config("");
    struct store *st = store_open(&cfg->redis);
    struct limiter_request req = charge_one("t:{192.0.2.1}:noauth");
    struct limiter_result res;
    char err[512] = "";

    /*
     * Redis 7.0.15 answers the script's long argument list from an
     * unauthenticated client with a protocol error before it checks for
     * AUTH, so the reply is not NOAUTH.
     */
    ck_assert_int_eq(store_limit(st, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "Redis error: ");
    assert_contains(err, "unauthenticated");
    store_close(st);
    config_free(cfg);
}
END_TEST

START_TEST(database_selected)
{
    struct rampart_config *cfg = load_config("    database = 5;\n");
    struct store *st = store_open(&cfg->redis);
    struct limiter_request req = charge_one("t:{192.0.2.1}:db");
    struct limiter_result res;
    char err[512] = "";
    redisReply *reply;

    ck_assert_int_eq(cfg->redis.database, 5);
    ck_assert_msg(store_limit(st, &req, &res, err, sizeof(err)) == 0,
                  "store_limit failed: %s", err);
    ck_assert_int_eq(
        redis_server_integer(&server, "EXISTS %s", req.limits[0].key), 0);
    reply = redis_server_command(&server, "SELECT 5");
    ck_assert_int_eq(reply->type, REDIS_REPLY_STATUS);
    freeReplyObject(reply);
    ck_assert_int_eq(
        redis_server_integer(&server, "EXISTS %s", req.limits[0].key), 1);
    store_close(st);
    config_free(cfg);
}
END_TEST

/* A default redis-server has databases 0 to 15. */
START_TEST(database_out_of_range)
{
    struct rampart_config *cfg = load_config("    database = 99;\n");
    struct store *st = store_open(&cfg->redis);
    struct limiter_request req = charge_one("t:{192.0.2.1}:db99");
    struct limiter_result res;
    char err[512] = "";

    ck_assert_int_eq(store_limit(st, &req, &res, err, sizeof(err)), -1);
    assert_contains(err, "Redis SELECT 99 failed");
    assert_contains(err, "out of range");
    store_close(st);
    config_free(cfg);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *auth = tcase_create("auth");
    TCase *select = tcase_create("select");

    tcase_add_checked_fixture(auth, auth_setup, teardown);
    tcase_set_timeout(auth, 30);
    tcase_add_test(auth, password_file_auth_works);
    tcase_add_test(auth, username_and_password_work);
    tcase_add_test(auth, wrong_password_hidden);
    tcase_add_test(auth, missing_password_rejected);
    suite_add_tcase(s, auth);

    tcase_add_checked_fixture(select, plain_setup, teardown);
    tcase_set_timeout(select, 30);
    tcase_add_test(select, database_selected);
    tcase_add_test(select, database_out_of_range);
    suite_add_tcase(s, select);
    return s;
}

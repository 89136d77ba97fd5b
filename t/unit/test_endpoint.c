/*
 * test_endpoint.c - endpoint_parse() and endpoint_is_loopback()
 */
#include "check_main.h"
#include "endpoint.h"

START_TEST(unix_forms)
{
    static const char *const specs[] = {
        "unix:/run/rampart/milter.sock", "UNIX:/run/rampart/milter.sock",
        "local:/run/rampart/milter.sock", "/run/rampart/milter.sock"};

    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        struct endpoint ep;
        char err[256] = "";

        ck_assert_msg(endpoint_parse(specs[i], &ep, err, sizeof(err)) == 0,
                      "\"%s\": rejected: %s", specs[i], err);
        ck_assert_int_eq(ep.kind, ENDPOINT_UNIX);
        ck_assert_str_eq(ep.path, "/run/rampart/milter.sock");
        ck_assert_int_eq(endpoint_is_loopback(&ep), 0);
    }
}
END_TEST

START_TEST(inet_forms)
{
    static const struct {
        const char *spec;
        const char *host;
        int port;
    } cases[] = {
        {"inet:127.0.0.1:8890", "127.0.0.1", 8890},
        {"inet:[::1]:8890", "::1", 8890},
        {"inet:localhost:6379", "localhost", 6379},
        {"inet:8890@127.0.0.1", "127.0.0.1", 8890},
        {"inet:8890@localhost", "localhost", 8890},
        {"inet6:8890@::1", "::1", 8890},
        {"inet6:8890@[::1]", "::1", 8890},
        {"127.0.0.1:6379", "127.0.0.1", 6379},
        {"[2001:db8::5]:1", "2001:db8::5", 1},
        {"redis.example:65535", "redis.example", 65535},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct endpoint ep;
        char err[256] = "";

        ck_assert_msg(endpoint_parse(cases[i].spec, &ep, err, sizeof(err)) == 0,
                      "\"%s\": rejected: %s", cases[i].spec, err);
        ck_assert_int_eq(ep.kind, ENDPOINT_INET);
        ck_assert_msg(strcmp(ep.host, cases[i].host) == 0,
                      "\"%s\": got host \"%s\", want \"%s\"", cases[i].spec,
                      ep.host, cases[i].host);
        ck_assert_msg(ep.port == cases[i].port, "\"%s\": got port %d, want %d",
                      cases[i].spec, ep.port, cases[i].port);
    }
}
END_TEST

START_TEST(rejects_bad_specs)
{
    static const struct {
        const char *spec;
        const char *message;
    } cases[] = {
        {"", "empty socket address"},
        {"unix:run/milter.sock", "needs an absolute path"},
        {"local:", "needs an absolute path"},
        {"inet:127.0.0.1", "invalid socket address \"inet:127.0.0.1\""},
        {"inet:127.0.0.1:0", "invalid socket address"},
        {"inet:127.0.0.1:65536", "invalid socket address"},
        {"inet:127.0.0.1:80x", "invalid socket address"},
        {"inet:127.0.0.1:-1", "invalid socket address"},
        {"inet::8890", "invalid socket address"},
        {"::1:6379", "invalid socket address \"::1:6379\""},
        {"inet:@127.0.0.1", "invalid socket address"},
        {"inet:99999@127.0.0.1", "invalid socket address"},
        {"inet:8890@", "invalid socket address"},
        {"inet6:8890", "invalid socket address"},
        {"localhost", "invalid socket address"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct endpoint ep;
        char err[256] = "";

        ck_assert_msg(endpoint_parse(cases[i].spec, &ep, err, sizeof(err)) ==
                          -1,
                      "\"%s\": accepted, want rejected", cases[i].spec);
        assert_contains(err, cases[i].message);
    }
}
END_TEST

START_TEST(rejects_long_unix_path)
{
    char spec[ENDPOINT_PATH_MAX + 16] = "unix:/";
    struct endpoint ep;
    char err[512] = "";

    /* sun_path has room for 107 bytes and the NUL. */
    memset(spec + 6, 'a', ENDPOINT_PATH_MAX - 2);
    spec[6 + ENDPOINT_PATH_MAX - 2] = '\0';
    ck_assert_int_eq(endpoint_parse(spec, &ep, err, sizeof(err)), 0);
    strcat(spec, "a");
    ck_assert_int_eq(endpoint_parse(spec, &ep, err, sizeof(err)), -1);
    assert_contains(err, "longer than 107 bytes");
}
END_TEST

START_TEST(loopback_hosts)
{
    static const struct {
        const char *spec;
        int loopback;
    } cases[] = {
        {"inet:127.0.0.1:8890", 1},    {"inet:127.1.2.3:8890", 1},
        {"inet:[::1]:8890", 1},        {"inet:localhost:8890", 1},
        {"inet:LocalHost:8890", 1},    {"inet:[::ffff:127.0.0.1]:1", 1},
        {"inet:192.0.2.1:8890", 0},    {"inet:[2001:db8::1]:8890", 0},
        {"inet:0.0.0.0:8890", 0},      {"inet:[::]:8890", 0},
        {"inet:mail.example:8890", 0}, {"inet:128.0.0.1:8890", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct endpoint ep;
        char err[256] = "";

        ck_assert_msg(endpoint_parse(cases[i].spec, &ep, err, sizeof(err)) == 0,
                      "\"%s\": rejected: %s", cases[i].spec, err);
        ck_assert_msg(endpoint_is_loopback(&ep) == cases[i].loopback,
                      "\"%s\": got loopback %d, want %d", cases[i].spec,
                      endpoint_is_loopback(&ep), cases[i].loopback);
    }
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("endpoint");
    TCase *tc = tcase_create("endpoint_parse");

    tcase_add_test(tc, unix_forms);
    tcase_add_test(tc, inet_forms);
    tcase_add_test(tc, rejects_bad_specs);
    tcase_add_test(tc, rejects_long_unix_path);
    tcase_add_test(tc, loopback_hosts);
    suite_add_tcase(s, tc);
    return s;
}

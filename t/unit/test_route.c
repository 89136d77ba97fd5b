/*
 * test_route.c - route_find(): conditions, order and the catch-all
 *
 * conf/routes.conf has one condition kind per route; route i sends
 * through source 203.0.113.i and route 9 is the catch-all.
 */
#include "check_main.h"
#include "route.h"

#include <stdio.h>

#define CATCH_ALL 9
#define NO_ROUTE  (-1)

struct route_case {
    const char *daemon_addr;
    const char *daemon_name;
    const char *client_addr;
    const char *sender_domain;
    const char *sasl_user;
    int route; /* index of the expected route, or NO_ROUTE */
};

static struct rampart_config *load_routes(void)
{
    char *errors = NULL;
    struct rampart_config *cfg =
        config_load(TEST_CONF_DIR "/routes.conf", &errors);

    ck_assert_msg(cfg != NULL, "routes.conf rejected: %s", errors);
    ck_assert_uint_eq(cfg->route_count, CATCH_ALL + 1);
    return cfg;
}

static void describe(const struct route_case *c, char *buf, size_t len)
{
    snprintf(buf, len,
             "daemon_addr=%s daemon_name=%s client_addr=%s sender_domain=%s "
             "sasl_user=%s",
             c->daemon_addr ? c->daemon_addr : "",
             c->daemon_name ? c->daemon_name : "(null)",
             c->client_addr ? c->client_addr : "",
             c->sender_domain ? c->sender_domain : "",
             c->sasl_user ? c->sasl_user : "(null)");
}

static void check_routes(const struct rampart_config *cfg,
                         const struct route_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct route_case *c = &cases[i];
        struct route_input in = {.daemon_name = c->daemon_name,
                                 .sasl_user = c->sasl_user};
        const struct route *found;
        int got;
        char text[512];

        snprintf(in.daemon_addr, sizeof(in.daemon_addr), "%s",
                 c->daemon_addr ? c->daemon_addr : "");
        snprintf(in.client_addr, sizeof(in.client_addr), "%s",
                 c->client_addr ? c->client_addr : "");
        snprintf(in.sender_domain, sizeof(in.sender_domain), "%s",
                 c->sender_domain ? c->sender_domain : "");
        found = route_find(cfg, &in);
        got = found ? (int)(found - cfg->routes) : NO_ROUTE;
        describe(c, text, sizeof(text));
        ck_assert_msg(got == c->route, "%s: got route %d, want %d", text, got,
                      c->route);
        if (found != NULL)
            ck_assert_uint_eq(found->source, (size_t)c->route);
    }
}

#define CHECK_ROUTES(cfg, cases)                                               \
    check_routes((cfg), (cases), sizeof(cases) / sizeof((cases)[0]))

START_TEST(daemon_addr_match)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        {"192.0.2.25", NULL, NULL, "example.net", NULL, 0},
        /* route 0 also needs the sender domain */
        {"192.0.2.25", NULL, NULL, NULL, NULL, CATCH_ALL},
        {"192.0.2.26", NULL, NULL, "example.net", NULL, CATCH_ALL},
        {"2001:db8::25", NULL, NULL, NULL, NULL, 1},
        {"2001:db8::26", NULL, NULL, NULL, NULL, CATCH_ALL},
        {"", NULL, NULL, NULL, NULL, CATCH_ALL},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

START_TEST(daemon_name_match)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        {NULL, "submission", NULL, NULL, NULL, 2},
        {NULL, "smtpd", NULL, NULL, NULL, CATCH_ALL},
        {NULL, "Submission", NULL, NULL, NULL, CATCH_ALL},
        {NULL, NULL, NULL, NULL, NULL, CATCH_ALL},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

START_TEST(client_addr_v4_cidr)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        /* 198.51.100.0/22 is 198.51.100.0 to 198.51.103.255 */
        {NULL, NULL, "198.51.100.0", NULL, NULL, 3},
        {NULL, NULL, "198.51.101.7", NULL, NULL, 3},
        {NULL, NULL, "198.51.103.255", NULL, NULL, 3},
        {NULL, NULL, "198.51.104.0", NULL, NULL, CATCH_ALL},
        {NULL, NULL, "198.51.99.255", NULL, NULL, CATCH_ALL},
        /* 192.0.2.128/25 is 192.0.2.128 to 192.0.2.255 */
        {NULL, NULL, "192.0.2.128", NULL, NULL, 8},
        {NULL, NULL, "192.0.2.255", NULL, NULL, 8},
        {NULL, NULL, "192.0.2.127", NULL, NULL, CATCH_ALL},
        {NULL, NULL, "", NULL, NULL, CATCH_ALL},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

START_TEST(client_addr_v6_cidr)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        /* 2001:db8:0:c000::/50 keeps the top two bits of the 4th group */
        {NULL, NULL, "2001:db8:0:c000::", NULL, NULL, 4},
        {NULL, NULL, "2001:db8:0:c000::1", NULL, NULL, 4},
        {NULL, NULL, "2001:db8:0:ffff:ffff:ffff:ffff:ffff", NULL, NULL, 4},
        {NULL, NULL, "2001:db8:0:bfff::1", NULL, NULL, CATCH_ALL},
        {NULL, NULL, "2001:db8:1:c000::1", NULL, NULL, CATCH_ALL},
        {NULL, NULL, "2001:db9:0:c000::1", NULL, NULL, CATCH_ALL},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

START_TEST(sender_domain_match)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        /* "Example.COM" is stored normalized and matches only itself */
        {NULL, NULL, NULL, "example.com", NULL, 5},
        {NULL, NULL, NULL, "mail.example.com", NULL, CATCH_ALL},
        {NULL, NULL, NULL, "notexample.com", NULL, CATCH_ALL},
        /* ".example.org" matches subdomains only */
        {NULL, NULL, NULL, "mail.example.org", NULL, 6},
        {NULL, NULL, NULL, "a.b.example.org", NULL, 6},
        {NULL, NULL, NULL, "example.org", NULL, CATCH_ALL},
        {NULL, NULL, NULL, "badexample.org", NULL, CATCH_ALL},
        /* the null sender has no domain */
        {NULL, NULL, NULL, "", NULL, CATCH_ALL},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

START_TEST(sasl_user_match)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        {NULL, NULL, NULL, NULL, "alice", 7},
        {NULL, NULL, NULL, NULL, "Alice", CATCH_ALL},
        {NULL, NULL, NULL, NULL, "alice2", CATCH_ALL},
        {NULL, NULL, NULL, NULL, NULL, CATCH_ALL},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

START_TEST(first_match_wins)
{
    struct rampart_config *cfg = load_routes();
    static const struct route_case cases[] = {
        {NULL, "submission", NULL, NULL, "alice", 2},
        {NULL, NULL, "198.51.100.1", "example.com", "alice", 3},
        {NULL, NULL, NULL, "example.com", "alice", 5},
        {"2001:db8::25", "submission", NULL, NULL, NULL, 1},
    };

    CHECK_ROUTES(cfg, cases);
    config_free(cfg);
}
END_TEST

/* Without the catch-all, a message no route matches has no source. */
START_TEST(no_route_matches)
{
    struct rampart_config *cfg = load_routes();
    struct rampart_config without_catch_all = *cfg;
    static const struct route_case cases[] = {
        {NULL, NULL, NULL, NULL, NULL, NO_ROUTE},
        {"192.0.2.26", "smtpd", "192.0.2.1", "example.net", "bob", NO_ROUTE},
        {NULL, NULL, NULL, NULL, "alice", 7},
    };

    without_catch_all.route_count = CATCH_ALL;
    CHECK_ROUTES(&without_catch_all, cases);
    config_free(cfg);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("route_find");

    tcase_add_test(tc, daemon_addr_match);
    tcase_add_test(tc, daemon_name_match);
    tcase_add_test(tc, client_addr_v4_cidr);
    tcase_add_test(tc, client_addr_v6_cidr);
    tcase_add_test(tc, sender_domain_match);
    tcase_add_test(tc, sasl_user_match);
    tcase_add_test(tc, first_match_wins);
    tcase_add_test(tc, no_route_matches);
    suite_add_tcase(s, tc);
    return s;
}

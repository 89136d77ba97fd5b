/*
 * test_provider_ramps.c - per-provider ramps: their own steps, shares of
 * the schedule's cap and pauses, against a real redis-server
 *
 * Recipients are mapped to provider ramps by quota_ramp_of(), as
 * rampart-milter does: a listed domain to its provider's ramp (if it has
 * one), an unlisted one to the "default" ramp.
 */
#include "check_main.h"
#include "keys.h"
#include "ramp_fixture.h"

#include <stdio.h>

/*
 * Start with the schedule "daily" (see start_daily()), gmail and yahoo as
 * providers, and ramps for gmail and for the rest ("default") with the
 * given shares.
 */
static void start_providers(const char *gmail_share, const char *default_share,
                            const char *source_keys)
{
    char extra[1024];

    snprintf(extra, sizeof(extra),
             "providers = (\n"
             "    { name = \"gmail\"; domains = [\"gmail.com\"]; },\n"
             "    { name = \"yahoo\"; domains = [\"yahoo.com\"]; }\n);\n"
             "provider_ramps = (\n"
             "    { provider = \"gmail\"; share = %s; },\n"
             "    { provider = \"default\"; share = %s; }\n);\n",
             gmail_share, default_share);
    start_daily(source_keys, extra);
}

/* Decide on one message of "count" recipients, all at "domain". */
static void decide_domain(enum limiter_mode mode, const char *domain,
                          long count, struct quota_outcome *out)
{
    struct quota_message msg = {.recipients = count};
    const struct provider_ramp *ramp = quota_ramp_of(fixture_cfg, domain);

    if (ramp != NULL) {
        msg.parts[0] = (struct quota_part){ramp, count};
        msg.part_count = 1;
    }
    decide(mode, &msg, out);
}

/* Charge "count" recipients at "domain", all delivered. */
static void send_domain(const char *domain, long count)
{
    const struct provider *p = config_provider_of(fixture_cfg, domain);
    const struct provider_ramp *ramp = quota_ramp_of(fixture_cfg, domain);
    struct quota_outcome out;

    decide_domain(LIMITER_CHARGE, domain, count, &out);
    ck_assert_msg(out.action == QUOTA_ACCEPT,
                  "%ld recipients at %s: got a deferral (%s), want acceptance",
                  count, domain, out.reason);
    record(OUTCOME_DELIVERED, count,
           ramp ? ramp->provider : (p ? p->name : NULL), NULL, NULL);
}

static void assert_provider_step(const char *provider, long want)
{
    long got = state_number(provider, "step");

    ck_assert_msg(got == want, "%s: got step %ld, want %ld", provider, got,
                  want);
}

/*
 * With shares of 1, gmail uses 80 of its 100 and advances, while the
 * default ramp uses 10 of 100 and holds.  The source (90 of 100) advances.
 */
START_TEST(provider_steps_independent)
{
    struct quota_outcome out;
    char entry[256];
    char key[LIMITER_KEY_MAX];

    start_providers("1.0", "1.0", "");
    send_domain("gmail.com", 80);
    send_domain("example.org", 10);
    assert_provider_step("gmail", 1);
    assert_provider_step("default", 1);

    next_days(1);
    decide_domain(LIMITER_CHECK, "gmail.com", 1, &out);
    decide_domain(LIMITER_CHECK, "example.org", 1, &out);
    ck_assert_int_eq(out.step, 2);
    assert_provider_step("gmail", 2);
    assert_provider_step("default", 1);
    log_entry("gmail", 0, entry, sizeof(entry));
    assert_contains(entry, "advance 1->2");
    log_entry("default", 0, entry, sizeof(entry));
    assert_contains(entry, "hold at 1: use below 80%");

    ck_assert_int_eq(state_number("gmail", "cap"), 200);

    /* the default ramp's cap follows its own step: 100, below the source's */
    send_domain("example.org", 100);
    decide_domain(LIMITER_CHARGE, "example.org", 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    ck_assert_str_eq(out.scope, "default");
    assert_contains(out.reason, "default warm-up daily cap 100 reached");
    ck_assert_int_eq(keys_day(key, sizeof(key), fixture_cfg->redis.prefix,
                              FIXTURE_SOURCE, clock_date(), "default"),
                     0);
    ck_assert_str_eq(out.key, key);
    ck_assert_int_eq(out.count, 100);
    ck_assert_int_eq(out.cap, 100);
}
END_TEST

/*
 * gmail's ramp has share 0.5: at step 1 its cap is 50, and sending all
 * 50 uses its whole cap, so it advances to step 2 (cap 100).
 */
START_TEST(provider_share_judged)
{
    struct quota_outcome out;

    start_providers("0.5", "0.5", "");
    send_domain("gmail.com", 50);
    send_domain("example.org", 40);
    next_days(1);
    decide_domain(LIMITER_CHECK, "gmail.com", 1, &out);
    assert_provider_step("gmail", 2);
}
END_TEST

/* A provider ramp's cap is floor(share x the schedule's cap at its step). */
START_TEST(provider_share_applied)
{
    struct quota_outcome out;
    char key[LIMITER_KEY_MAX];

    start_providers("0.4", "0.5", "");
    send_domain("gmail.com", 40);
    decide_domain(LIMITER_CHARGE, "gmail.com", 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_str_eq(out.scope, "gmail");
    assert_contains(out.reason, "gmail warm-up daily cap 40 reached");

    /* other domains still send, up to the default ramp's 50 */
    send_domain("example.org", 50);
    decide_domain(LIMITER_CHARGE, "example.org", 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_str_eq(out.scope, "default");

    /* yahoo has no ramp: only the source's cap (100) applies */
    send_domain("yahoo.com", 10);
    ck_assert_int_eq(keys_day(key, sizeof(key), fixture_cfg->redis.prefix,
                              FIXTURE_SOURCE, clock_date(), "gmail"),
                     0);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "recipients"),
                     40);

    /* a refusal by a provider ramp charges nothing anywhere */
    ck_assert_int_eq(keys_day(key, sizeof(key), fixture_cfg->redis.prefix,
                              FIXTURE_SOURCE, clock_date(), NULL),
                     0);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "recipients"),
                     100);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "messages"), 3);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "tempfailed"), 2);
}
END_TEST

/*
 * floor(0.29 x 100) is 29.
 */
START_TEST(provider_share_floor)
{
    struct quota_outcome out;

    start_providers("0.29", "0.5", "");
    decide_domain(LIMITER_CHECK, "gmail.com", 29, &out);
    ck_assert_msg(out.action == QUOTA_ACCEPT,
                  "29 recipients at gmail.com: got a deferral (%s), want "
                  "acceptance",
                  out.reason);
}
END_TEST

START_TEST(provider_pause_isolated)
{
    struct quota_outcome out;
    struct quota_message both = {.recipients = 2, .part_count = 2};

    start_providers("0.5", "0.5", "");
    change((struct ramp_change){
        .op = RAMP_PAUSE, .provider = "gmail", .reason = "Postmaster alert"});

    decide_domain(LIMITER_CHARGE, "gmail.com", 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);
    assert_contains(out.reason, "paused: gmail: Postmaster alert");
    send_domain("example.org", 5);
    send_domain("yahoo.com", 5);

    /* a message with a gmail recipient waits as a whole */
    both.parts[0] =
        (struct quota_part){quota_ramp_of(fixture_cfg, "example.org"), 1};
    both.parts[1] =
        (struct quota_part){quota_ramp_of(fixture_cfg, "gmail.com"), 1};
    decide(LIMITER_CHARGE, &both, &out);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);

    change((struct ramp_change){.op = RAMP_RESUME, .provider = "gmail"});
    send_domain("gmail.com", 5);
    ck_assert_int_eq(state_number("gmail", "paused"), -1);
}
END_TEST

/* A block signal for gmail steps gmail's ramp down, not the source's. */
START_TEST(provider_block_own_ramp)
{
    struct quota_outcome out;

    start_providers("1.0", "1.0", " step = 3;");
    send_domain("gmail.com", 320);
    record(OUTCOME_BLOCKED, 1, "gmail", NULL, "421 try later");
    ck_assert_int_eq(state_number("gmail", "block_pending"), 1);
    ck_assert_int_le(state_number(NULL, "block_pending"), 0);

    next_days(1);
    decide_domain(LIMITER_CHECK, "gmail.com", 1, &out);
    ck_assert_int_eq(out.step, 4);
    assert_provider_step("gmail", 2);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("provider_ramps");
    TCase *tc = tcase_create("provider_ramps");

    tcase_add_checked_fixture(tc, NULL, fixture_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, provider_steps_independent);
    tcase_add_test(tc, provider_share_judged);
    tcase_add_test(tc, provider_share_applied);
    tcase_add_test(tc, provider_share_floor);
    tcase_add_test(tc, provider_pause_isolated);
    tcase_add_test(tc, provider_block_own_ramp);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_ramp.c - outcome words: outcome_parse() and outcome_field()
 *
 * ramp_record() and ramp_change() talk to Redis; t/limiter tests them.
 */
#include "check_main.h"
#include "ramp.h"

static const struct {
    const char *word;
    enum outcome_kind kind;
} words[] = {
    {"delivered", OUTCOME_DELIVERED}, {"deferred", OUTCOME_DEFERRED},
    {"bounced", OUTCOME_BOUNCED},     {"complained", OUTCOME_COMPLAINED},
    {"blocked", OUTCOME_BLOCKED},
};

START_TEST(parse_every_word)
{
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        enum outcome_kind kind = OUTCOME_DELIVERED;

        ck_assert_msg(outcome_parse(words[i].word, &kind) == 0,
                      "outcome_parse(\"%s\"): got -1, want 0", words[i].word);
        ck_assert_msg(kind == words[i].kind,
                      "outcome_parse(\"%s\"): got kind %d, want %d",
                      words[i].word, kind, words[i].kind);
    }
}
END_TEST

/* The field names the counters in Redis, so it is the word itself. */
START_TEST(field_is_the_word)
{
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        ck_assert_str_eq(outcome_field(words[i].kind), words[i].word);
}
END_TEST

START_TEST(parse_rejects_others)
{
    static const char *const bad[] = {"",         "Delivered", "bounce",
                                      "blocked ", "complaint", "tempfailed"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum outcome_kind kind = OUTCOME_BLOCKED;

        ck_assert_msg(outcome_parse(bad[i], &kind) == -1,
                      "outcome_parse(\"%s\"): got 0, want -1", bad[i]);
        ck_assert_msg(kind == OUTCOME_BLOCKED,
                      "outcome_parse(\"%s\") changed the kind to %d", bad[i],
                      kind);
    }
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("ramp");
    TCase *tc = tcase_create("outcome");

    tcase_add_test(tc, parse_every_word);
    tcase_add_test(tc, field_is_the_word);
    tcase_add_test(tc, parse_rejects_others);
    suite_add_tcase(s, tc);
    return s;
}

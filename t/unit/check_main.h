/*
 * check_main.h - main() and assertion helpers shared by the Check tests
 *
 * A test program defines test_suite() and includes this header once.
 * Check's environment variables (CK_RUN_SUITE, CK_RUN_CASE, CK_VERBOSITY,
 * CK_FORK, CK_DEFAULT_TIMEOUT) work as usual.
 */
#ifndef RAMPART_CHECK_MAIN_H
#define RAMPART_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Fail unless "text" contains "part".  The message shows both strings. */
#define assert_contains(text, part)                                            \
    ck_assert_msg(strstr((text), (part)) != NULL,                              \
                  "got \"%s\", want it to contain \"%s\"", (text), (part))

/* Fail when "text" contains "part". */
#define assert_lacks(text, part)                                               \
    ck_assert_msg(strstr((text), (part)) == NULL,                              \
                  "got \"%s\", want it without \"%s\"", (text), (part))

static Suite *test_suite(void);

int main(void)
{
    SRunner *runner = srunner_create(test_suite());
    int failed;

    srunner_run_all(runner, CK_ENV);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif

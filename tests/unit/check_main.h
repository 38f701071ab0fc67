/* check_main.h -- the main() that every tests/unit/test_*.c program shares: run the file's
 * Check suite and exit with EXIT_FAILURE when any test failed, so that ctest sees it.
 *
 * Each test file builds its suite in a `static Suite *name(void)` function and ends with
 *
 *     FL_CHECK_MAIN(name)
 *
 * (no semicolon: the macro expands to a whole function definition).  CK_NORMAL prints a
 * summary line and every failure; fork mode stays Check's default (CK_FORK=no in the
 * environment turns it off, for a debugger). */
#ifndef FL_TESTS_UNIT_CHECK_MAIN_H
#define FL_TESTS_UNIT_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Runs every test of s and frees the runner (which takes ownership of s); returns the
 * process exit status. */
static inline int fl_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define FL_CHECK_MAIN(suite_fn)                                                                    \
    int main(void)                                                                                 \
    {                                                                                              \
        return fl_check_run(suite_fn());                                                           \
    }

#endif

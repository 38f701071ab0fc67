/* test_scenario_files.c -- loading scenario files: missing files and directories, the
 * name taken from the file, the default scenario ("-" or none), and the size limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "scenario_fixture.h"

/* ---- files ---- */

START_TEST(test_scenario_load_missing_file)
{
    fl_scenario sc;
    int rc = fl_scenario_load(&sc, "/nonexistent/x.json", NULL, 0, err, sizeof err);
    ck_assert_int_eq(rc, FL_EINVAL);
    ck_assert_str_eq(err, "/nonexistent/x.json: No such file or directory");
    rc = fl_scenario_load(&sc, "/", NULL, 0, err, sizeof err);
    ck_assert_int_eq(rc, FL_EINVAL);
    ck_assert_str_eq(err, "/: Is a directory");
}
END_TEST

static void write_file(char *path, const char *text, size_t len)
{
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

START_TEST(test_scenario_load_names_from_file)
{
    char path[] = "/tmp/fl-scenario-XXXXXX.json";
    write_file(path, "{\"nodes\": 5}", 12);
    fl_scenario sc;
    ck_assert_msg(fl_scenario_load(&sc, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    char want[64];
    snprintf(want, sizeof want, "%.*s", (int)(strlen(path) - 5 - 5), path + 5);
    ck_assert_str_eq(sc.name, want);
    ck_assert_int_eq(sc.nodes, 5);
    fl_scenario_close(&sc);
    /* errors name the file instead of "scenario" */
    const char *sets[] = {"nodes=0"};
    ck_assert_int_eq(fl_scenario_load(&sc, path, sets, 1, err, sizeof err), FL_EINVAL);
    char msg[160];
    snprintf(msg, sizeof msg, "%s: nodes: expected an integer in [1,10000], got 0", path);
    ck_assert_str_eq(err, msg);
    unlink(path);
}
END_TEST

START_TEST(test_scenario_load_default)
{
    fl_scenario sc;
    ck_assert_int_eq(fl_scenario_load(&sc, NULL, NULL, 0, err, sizeof err), 0);
    ck_assert_int_eq(sc.nodes, 3);
    fl_scenario_close(&sc);
    const char *sets[] = {"nodes=4"};
    ck_assert_int_eq(fl_scenario_load(&sc, NULL, sets, 1, err, sizeof err), 0);
    ck_assert_int_eq(sc.nodes, 4);
    fl_scenario_close(&sc);
    fl_scenario_close(&sc); /* closing twice is harmless */
    fl_scenario_close(NULL);
}
END_TEST

/* "-" is standard input (it used to be the default scenario): no name from a path, and
 * messages say "stdin". */
START_TEST(test_scenario_load_stdin)
{
    char path[] = "/tmp/fl_stdin_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\"nodes\": 2}", 12), 12);
    close(fd);
    ck_assert_ptr_nonnull(freopen(path, "r", stdin));
    fl_scenario sc;
    ck_assert_int_eq(fl_scenario_load(&sc, "-", NULL, 0, err, sizeof err), 0);
    ck_assert_int_eq(sc.nodes, 2);
    ck_assert_str_eq(sc.name, "");
    fl_scenario_close(&sc);
    ck_assert_ptr_nonnull(freopen(path, "r", stdin));
    const char *sets[] = {"nodes=0"};
    ck_assert_int_ne(fl_scenario_load(&sc, "-", sets, 1, err, sizeof err), 0);
    ck_assert_str_eq(err, "stdin: nodes: expected an integer in [1,10000], got 0");
    ck_assert_ptr_nonnull(freopen("/dev/null", "r", stdin));
    ck_assert_int_ne(fl_scenario_load(&sc, "-", NULL, 0, err, sizeof err), 0);
    ck_assert_str_eq(err, "stdin: empty file (a scenario is a JSON object; {} is the default)");
    unlink(path);
}
END_TEST

START_TEST(test_scenario_too_large)
{
    size_t len = FL_SCENARIO_MAX_BYTES + 1;
    char *big = malloc(len);
    ck_assert_ptr_nonnull(big);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    fl_scenario sc;
    ck_assert_int_eq(fl_scenario_parse(&sc, big, len, NULL, 0, err, sizeof err), FL_ELIMIT);
    ck_assert_str_eq(err, "scenario: larger than the limit of 16777216 bytes");
    char path[] = "/tmp/fl-scenario-big-XXXXXX.json";
    write_file(path, big, len);
    ck_assert_int_eq(fl_scenario_load(&sc, path, NULL, 0, err, sizeof err), FL_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err, ": larger than the limit of 16777216 bytes"));
    ck_assert_int_eq(fl_scenario_parse(&sc, big, len - 1, NULL, 0, err, sizeof err), FL_EPARSE);
    unlink(path);
    free(big);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario_files");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_load_missing_file);
    tcase_add_test(tc, test_scenario_load_names_from_file);
    tcase_add_test(tc, test_scenario_load_default);
    tcase_add_test(tc, test_scenario_load_stdin);
    tcase_add_test(tc, test_scenario_too_large);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(scenario_suite)

/* test_schedule_errors.c -- every error message of a bad schedule file, exact text:
 * unknown kinds and keys, nodes and times out of range, entries out of order, crashes and
 * restarts that do not match the nodes' state, bad groups, allows, names and drifts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "schedule_fixture.h"

/* Parse text for a 3-node, 30 s run; returns the error code, message in err. */
static int parse3(const char *text, char *err, size_t cap)
{
    fl_schedule *s = NULL;
    int rc = fl_schedule_parse(text, strlen(text), 3, 30 * SEC, &s, err, cap);
    fl_schedule_free(s);
    return rc;
}

#define ASSERT_PARSE_ERROR(text, code, message)                                                    \
    do {                                                                                           \
        char err_[256] = "";                                                                       \
        ck_assert_int_eq(parse3(text, err_, sizeof err_), code);                                   \
        ck_assert_str_eq(err_, message);                                                           \
    } while (0)

START_TEST(test_schedule_error_unknown_kind)
{
    ASSERT_PARSE_ERROR("[{\"at_ns\":0,\"kind\":\"explode\"}]", FL_EINVAL,
                       "schedule[1].kind: unknown kind \"explode\" (expected partition, heal, "
                       "crash, restart, timeout or clock)");
}
END_TEST

START_TEST(test_schedule_error_node_out_of_range)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":2},"
                       "{\"at\":\"2s\",\"kind\":\"restart\",\"node\":2},"
                       "{\"at\":\"3s\",\"kind\":\"crash\",\"node\":7}]",
                       FL_EINVAL, "schedule[3].node: expected a node id in [1,3], got 7");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"timeout\",\"node\":\"1\"}]", FL_EINVAL,
                       "schedule[1].node: expected a node id in [1,3], got \"1\"");
}
END_TEST

START_TEST(test_schedule_error_time_outside_run)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"40s\",\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at: expected a time within the run [0,30000000000] ns, "
                       "got 40000000000");
    ASSERT_PARSE_ERROR("[{\"at_ns\":-5,\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at_ns: expected a time within the run [0,30000000000] ns, "
                       "got -5");
    ASSERT_PARSE_ERROR("[{\"at_ns\":1.5,\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at_ns: expected an integer number of nanoseconds, got 1.5");
    ASSERT_PARSE_ERROR("[{\"at\":\"soon\",\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at: expected a duration such as \"1.2s\", got \"soon\"");
    ASSERT_PARSE_ERROR("[{\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1]: missing \"at_ns\" (or \"at\": a duration such as \"1.2s\")");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"at_ns\":1,\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at: give either \"at\" or \"at_ns\", not both");
}
END_TEST

START_TEST(test_schedule_error_out_of_order)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"2s\",\"kind\":\"heal\"},{\"at\":\"1s\",\"kind\":\"heal\"}]",
                       FL_EINVAL,
                       "schedule[2].at: entries must be in time order: 1000000000 ns is before "
                       "the previous entry's 2000000000 ns");
}
END_TEST

START_TEST(test_schedule_error_restart_of_up_node)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"restart\",\"node\":2}]", FL_EINVAL,
                       "schedule[1].node: node 2 is up; only a crashed node can restart");
}
END_TEST

START_TEST(test_schedule_error_crash_of_down_node)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":2},"
                       "{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1},"
                       "{\"at\":\"2s\",\"kind\":\"crash\",\"node\":2}]",
                       FL_EINVAL,
                       "schedule[3].node: node 2 is already down (crashed by "
                       "schedule[1])");
}
END_TEST

START_TEST(test_schedule_error_malformed_json)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\n \"kind\": heal}]", FL_EPARSE,
                       "schedule: malformed JSON at line 2, column 10");
    ASSERT_PARSE_ERROR("[] x", FL_EPARSE,
                       "schedule: unexpected text after the JSON at line 1, column 4");
    ASSERT_PARSE_ERROR("", FL_EPARSE, "schedule: malformed JSON at line 1, column 1");
    ASSERT_PARSE_ERROR("{\"at\":\"1s\"}", FL_EINVAL,
                       "schedule: unknown key \"at\" (expected version, entries, messages, ops)");
    ASSERT_PARSE_ERROR("3", FL_EINVAL,
                       "schedule: expected a JSON array of fault entries (format 1) or an object "
                       "{\"version\": 2, \"entries\": [...]} (format 2)");
    ASSERT_PARSE_ERROR("[3]", FL_EINVAL, "schedule[1]: expected an object, got 3");
}
END_TEST

START_TEST(test_schedule_error_unknown_key)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1,\"why\":\"x\"}]", FL_EINVAL,
                       "schedule[1].why: unknown key for a crash entry");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"heal\",\"node\":1}]", FL_EINVAL,
                       "schedule[1].node: unknown key for a heal entry");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1,\"node\":2}]", FL_EINVAL,
                       "schedule[1].node: duplicate key");
}
END_TEST

START_TEST(test_schedule_error_groups_must_cover_every_node_once)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1],[2]]}]", FL_EINVAL,
                       "schedule[1].groups: node 3 is in no group (every node must be in "
                       "exactly one)");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1,2],[2,3]]}]",
                       FL_EINVAL, "schedule[1].groups[1][0]: node 2 is already in groups[0]");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1,2,3],[]]}]",
                       FL_EINVAL,
                       "schedule[1].groups[1]: expected a non-empty array of node ids, got []");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1,2],[3,4]]}]",
                       FL_EINVAL, "schedule[1].groups[1][1]: expected a node id in [1,3], got 4");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\"}]", FL_EINVAL,
                       "schedule[1].groups: expected a non-empty array of groups (arrays of "
                       "node ids)");
}
END_TEST

START_TEST(test_schedule_error_allow_out_of_range)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1],[2,3]],"
                       "\"allow\":[[0,1],[1,2]]}]",
                       FL_EINVAL,
                       "schedule[1].allow[1][1]: expected a group index in [0,1], "
                       "got 2");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1],[2,3]],"
                       "\"allow\":[[0,1,1]]}]",
                       FL_EINVAL,
                       "schedule[1].allow[0]: expected a pair [from, to] of group "
                       "indexes, got [0,1,1]");
}
END_TEST

START_TEST(test_schedule_error_bad_names_and_drift)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"name\":\"a b\","
                       "\"groups\":[[1,2,3]]}]",
                       FL_EINVAL,
                       "schedule[1].name: expected a name of 1-31 letters, digits, "
                       "'_', '-' or '.', got \"a b\"");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"clock\",\"node\":1,\"ppm\":900000}]", FL_EINVAL,
                       "schedule[1].ppm: expected a drift in [-500000,500000] ppm, got 900000");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule_errors");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_schedule_error_unknown_kind);
    tcase_add_test(tc, test_schedule_error_node_out_of_range);
    tcase_add_test(tc, test_schedule_error_time_outside_run);
    tcase_add_test(tc, test_schedule_error_out_of_order);
    tcase_add_test(tc, test_schedule_error_restart_of_up_node);
    tcase_add_test(tc, test_schedule_error_crash_of_down_node);
    tcase_add_test(tc, test_schedule_error_malformed_json);
    tcase_add_test(tc, test_schedule_error_unknown_key);
    tcase_add_test(tc, test_schedule_error_groups_must_cover_every_node_once);
    tcase_add_test(tc, test_schedule_error_allow_out_of_range);
    tcase_add_test(tc, test_schedule_error_bad_names_and_drift);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)

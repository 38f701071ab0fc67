/* test_scenario_set.c -- --set PATH=VALUE overrides of a scenario: keys, new params,
 * array indexes, malformed overrides, and values read as JSON or else as strings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "scenario_fixture.h"

/* ---- --set ---- */

START_TEST(test_scenario_set_overrides)
{
    const char *sets[] = {"nodes=5", "network.latency.min=2ms", "faults.crash.every=3s",
                          "name=from-set", "network.drop=0.25"};
    fl_scenario sc;
    ck_assert_msg(parse_sets(&sc, design_example, sets, 5) == 0, "%s", err);
    ck_assert_int_eq(sc.nodes, 5);
    ck_assert_int_eq(sc.latency.min_ns, 2 * MS);
    ck_assert_int_eq(sc.latency.max_ns, 10 * MS);
    ck_assert_int_eq(sc.faults.crash_every_ns, 3 * SEC);
    ck_assert_int_eq(sc.faults.crash_down_ns, 500 * MS); /* the rest of crash is kept */
    ck_assert_str_eq(sc.name, "from-set");
    ck_assert(sc.net.drop == 0.25);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_set_creates_params_bugs)
{
    const char *sets[] = {"params.bugs=[\"forget_vote\"]", "faults.crash.every=3s"};
    fl_scenario sc;
    ck_assert_msg(parse_sets(&sc, "{}", sets, 2) == 0, "%s", err);
    char *s = cJSON_PrintUnformatted(sc.params);
    ck_assert_str_eq(s, "{\"bugs\":[\"forget_vote\"]}");
    free(s);
    ck_assert_int_eq(sc.faults.crash_every_ns, 3 * SEC);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_set_array_index)
{
    const char *sets[] = {"network.links[0].to=3", "network.links[1]={\"from\":3,\"to\":1}"};
    fl_scenario sc;
    ck_assert_msg(parse_sets(&sc, design_example, sets, 2) == 0, "%s", err);
    ck_assert_uint_eq(sc.nlinks, 2);
    ck_assert_int_eq(sc.links[0].to, 3);
    ck_assert_int_eq(sc.links[1].from, 3);
    fl_scenario_close(&sc);
    const char *bad[] = {"network.links[5].to=3"};
    ck_assert_int_eq(parse_sets(&sc, design_example, bad, 1), FL_EINVAL);
    ck_assert_str_eq(err, "--set network.links[5].to: network.links has no element 5");
    /* absent: not "is not an array", which it is not either */
    const char *absent[] = {"disk.files[0].x=1"};
    ck_assert_int_eq(parse_sets(&sc, design_example, absent, 1), FL_EINVAL);
    ck_assert_str_eq(err,
                     "--set disk.files[0].x: disk.files is absent (set the whole array first)");
}
END_TEST

START_TEST(test_scenario_set_malformed)
{
    const char *bad[] = {"x", "=3", "a..b=1", "a.=1", "a[x]=1", "a[1=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fl_scenario sc;
        char want[128];
        snprintf(want, sizeof want, "--set: expected PATH=VALUE, got '%s'", bad[i]);
        ck_assert_int_eq(parse_sets(&sc, "{}", &bad[i], 1), FL_EINVAL);
        ck_assert_str_eq(err, want);
    }
}
END_TEST

START_TEST(test_scenario_set_unknown_key_is_validation_error)
{
    const char *sets[] = {"network.colour=red"};
    fl_scenario sc;
    ck_assert_int_eq(parse_sets(&sc, "{}", sets, 1), FL_EINVAL);
    ck_assert_str_eq(err, "scenario: network.colour: unknown key (expected mode, latency, drop, "
                          "duplicate, spike, spike_delay, fifo or links)");
}
END_TEST

START_TEST(test_scenario_set_through_a_scalar_fails)
{
    const char *sets[] = {"nodes.x=1"};
    fl_scenario sc;
    ck_assert_int_eq(parse_sets(&sc, "{\"nodes\": 3}", sets, 1), FL_EINVAL);
    ck_assert_str_eq(err, "--set nodes.x: nodes is not an object");
}
END_TEST

START_TEST(test_scenario_set_value_json_or_string)
{
    /* "true" parses as JSON, so name=true is a boolean and an error; "2ms" is a string */
    const char *sets[] = {"name=true"};
    fl_scenario sc;
    ck_assert_int_eq(parse_sets(&sc, "{}", sets, 1), FL_EINVAL);
    ck_assert_str_eq(err, "scenario: name: expected a string of at most 127 bytes, got true");
    const char *sets2[] = {"name=", "protocol=echo", "faults.crash=null"};
    ck_assert_int_eq(parse_sets(&sc, "{\"faults\": {\"crash\": {}}}", sets2, 3), 0);
    ck_assert_str_eq(sc.name, "");
    ck_assert_str_eq(sc.protocol, "echo");
    ck_assert_int_eq(sc.faults.crash_every_ns, 0);
    fl_scenario_close(&sc);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario_set");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_set_overrides);
    tcase_add_test(tc, test_scenario_set_creates_params_bugs);
    tcase_add_test(tc, test_scenario_set_array_index);
    tcase_add_test(tc, test_scenario_set_malformed);
    tcase_add_test(tc, test_scenario_set_unknown_key_is_validation_error);
    tcase_add_test(tc, test_scenario_set_through_a_scalar_fails);
    tcase_add_test(tc, test_scenario_set_value_json_or_string);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(scenario_suite)

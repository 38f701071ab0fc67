/* test_scenario_values.c -- what a scenario file parses to: the defaults of an empty file,
 * DESIGN.md's example, sections present but empty, null meaning the default, link latency,
 * partition kinds, scripts and the watchdog. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "scenario_fixture.h"

/* ---- defaults and the example ---- */

START_TEST(test_scenario_empty_gives_defaults)
{
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{}"), 0);
    ck_assert_str_eq(sc.name, "");
    ck_assert_str_eq(sc.protocol, "raft");
    ck_assert_int_eq(sc.nodes, 3);
    ck_assert(cJSON_IsObject(sc.params) && sc.params->child == NULL);
    ck_assert_int_eq(sc.scripted, 0);
    ck_assert_int_eq(sc.latency.min_ns, 1 * MS);
    ck_assert_int_eq(sc.latency.max_ns, 10 * MS);
    ck_assert_uint_eq(sc.nlinks, 0);
    ck_assert(sc.net.drop == 0 && sc.net.duplicate == 0 && sc.net.spike == 0);
    ck_assert_int_eq(sc.net.spike_delay.min_ns, 50 * MS);
    ck_assert_int_eq(sc.net.spike_delay.max_ns, 200 * MS);
    ck_assert_int_eq(sc.net.fifo, 0);
    ck_assert_int_eq(sc.disk_sync.min_ns, 1 * MS);
    ck_assert_int_eq(sc.disk_sync.max_ns, 5 * MS);
    ck_assert_int_eq(sc.faults.window_from_ns, 0);
    ck_assert_int_eq(sc.faults.window_to_ns, 0);
    ck_assert_int_eq(sc.faults.swarm, 0);
    ck_assert_int_eq(sc.faults.partition_every_ns, 0);
    ck_assert_int_eq(sc.faults.crash_every_ns, 0);
    ck_assert_int_eq(sc.faults.unsynced, FL_UNSYNCED_LOSE);
    ck_assert_int_eq(sc.faults.timeout_every_ns, 0);
    ck_assert_int_eq(sc.faults.clock_every_ns, 0);
    ck_assert(sc.faults.corrupt == 0);
    ck_assert_int_eq(sc.workload_every_ns, 100 * MS);
    ck_assert_int_eq(sc.workload_ops, 0);
    ck_assert_int_eq(sc.until_ns, 30 * SEC);
    ck_assert_uint_eq(sc.max_steps, 5000000);
    ck_assert_int_eq(sc.liveness_ns, 10 * SEC);
    ck_assert_int_eq(sc.watchdog_ms, 60000);
    ck_assert_ptr_null(sc.script);
    char *s = canonical(&sc);
    ck_assert_str_eq(
        s, "{\"name\":\"\",\"protocol\":\"raft\",\"nodes\":3,\"params\":{},"
           "\"network\":{\"mode\":\"auto\",\"latency\":{\"min\":\"1ms\",\"max\":\"10ms\"},"
           "\"drop\":0,\"duplicate\":0,\"spike\":0,\"spike_delay\":{\"min\":\"50ms\","
           "\"max\":\"200ms\"},\"fifo\":false,\"links\":[]},"
           "\"disk\":{\"sync\":{\"min\":\"1ms\",\"max\":\"5ms\"}},"
           "\"faults\":{\"swarm\":false,\"corrupt\":0},"
           "\"workload\":{\"every\":\"100ms\",\"ops\":0},"
           "\"run\":{\"until\":\"30s\",\"max_steps\":5000000,\"liveness\":\"10s\","
           "\"watchdog\":\"1m\"}}");
    free(s);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_design_example_parses)
{
    fl_scenario sc;
    ck_assert_msg(parse(&sc, design_example) == 0, "%s", err);
    ck_assert_str_eq(sc.name, "raft-3-partitions");
    ck_assert_int_eq(sc.nodes, 3);
    ck_assert_str_eq(cJSON_GetObjectItem(sc.params, "election_timeout")->valuestring, "150ms");
    ck_assert(sc.net.drop == 0.01 && sc.net.duplicate == 0.001);
    ck_assert_uint_eq(sc.nlinks, 1);
    ck_assert_int_eq(sc.links[0].from, 1);
    ck_assert_int_eq(sc.links[0].to, 2);
    ck_assert_int_eq(sc.links[0].latency.min_ns, 20 * MS);
    ck_assert_int_eq(sc.links[0].latency.max_ns, 40 * MS);
    ck_assert_int_eq(sc.faults.window_from_ns, 1 * SEC);
    ck_assert_int_eq(sc.faults.window_to_ns, 20 * SEC);
    ck_assert_int_eq(sc.faults.partition_every_ns, 3 * SEC);
    ck_assert_int_eq(sc.faults.partition_duration_ns, 1 * SEC);
    ck_assert_uint_eq(sc.faults.partition_kinds, (1u << FL_PART_KIND_COUNT) - 1);
    ck_assert_int_eq(sc.faults.crash_every_ns, 5 * SEC);
    ck_assert_int_eq(sc.faults.crash_down_ns, 500 * MS);
    ck_assert_int_eq(sc.faults.unsynced, FL_UNSYNCED_LOSE);
    ck_assert_int_eq(sc.faults.timeout_every_ns, 2 * SEC);
    ck_assert_str_eq(sc.faults.timeout_timer, "election");
    ck_assert_int_eq(sc.workload_every_ns, 100 * MS);
    ck_assert_int_eq(sc.workload_ops, 200);
    ck_assert_int_eq(sc.until_ns, 30 * SEC);
    fl_scenario_close(&sc);
}
END_TEST

/* ---- values ---- */

START_TEST(test_scenario_link_latency_defaults_to_network)
{
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{\"network\": {\"latency\": {\"min\": \"2ms\", \"max\": \"3ms\"},"
                                " \"links\": [{\"from\": 3, \"to\": 1}]}}"),
                     0);
    ck_assert_uint_eq(sc.nlinks, 1);
    ck_assert_int_eq(sc.links[0].latency.min_ns, 2 * MS);
    ck_assert_int_eq(sc.links[0].latency.max_ns, 3 * MS);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_present_section_uses_defaults)
{
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc,
                           "{\"faults\": {\"partition\": {}, \"crash\": {\"unsynced\": \"tear\"}, "
                           "\"timeout\": {}, \"clock\": {}}}"),
                     0);
    ck_assert_int_eq(sc.faults.partition_every_ns, 3 * SEC);
    ck_assert_int_eq(sc.faults.partition_duration_ns, 1 * SEC);
    ck_assert_uint_eq(sc.faults.partition_kinds, 31);
    ck_assert_int_eq(sc.faults.crash_every_ns, 5 * SEC);
    ck_assert_int_eq(sc.faults.crash_down_ns, 500 * MS);
    ck_assert_int_eq(sc.faults.unsynced, FL_UNSYNCED_TEAR);
    ck_assert_int_eq(sc.faults.timeout_every_ns, 2 * SEC);
    ck_assert_str_eq(sc.faults.timeout_timer, "");
    ck_assert_int_eq(sc.faults.clock_every_ns, 5 * SEC);
    ck_assert_int_eq(sc.faults.clock_max_ppm, 50000);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_null_means_default)
{
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{\"nodes\": null, \"faults\": {\"crash\": null, \"window\": null},"
                                " \"network\": null}"),
                     0);
    ck_assert_int_eq(sc.nodes, 3);
    ck_assert_int_eq(sc.faults.crash_every_ns, 0);
    ck_assert_int_eq(sc.faults.window_to_ns, 0);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_partition_kinds_subset)
{
    fl_scenario sc;
    ck_assert_int_eq(
        parse(&sc, "{\"faults\": {\"partition\": {\"kinds\": [\"ring\", \"isolate\"]}}}"), 0);
    ck_assert_uint_eq(sc.faults.partition_kinds, (1u << FL_PART_RING) | (1u << FL_PART_ISOLATE));
    /* canonical: kinds in a fixed order, whatever the file's */
    cJSON *kinds = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(sc.json, "faults"), "partition"), "kinds");
    char *s = cJSON_PrintUnformatted(kinds);
    ck_assert_str_eq(s, "[\"isolate\",\"ring\"]");
    free(s);
    fl_scenario_close(&sc);
}
END_TEST

START_TEST(test_scenario_script_is_array_of_objects)
{
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{\"network\": {\"mode\": \"scripted\"}, \"script\": "
                                "[{\"timeout\": 1}, {\"deliver\": {\"from\": 1, \"to\": 2}}]}"),
                     0);
    ck_assert_int_eq(sc.scripted, 1);
    ck_assert_int_eq(cJSON_GetArraySize(sc.script), 2);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(sc.json, "script"));
    fl_scenario_close(&sc);
    expect_error("{\"network\": {\"mode\": \"scripted\"}, \"script\": [{\"timeout\": 1}, 5]}",
                 FL_EINVAL, "script[1]: expected an entry such as {\"timeout\": 1}, got 5");
    expect_error("{\"network\": {\"mode\": \"scripted\"}, \"script\": {}}", FL_EINVAL,
                 "script: expected an array of entries such as {\"timeout\": 1}, got {}");
    expect_error("{\"script\": []}", FL_EINVAL,
                 "script: a script needs \"network\": {\"mode\": \"scripted\"}");
}
END_TEST

START_TEST(test_scenario_watchdog_in_ms)
{
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{\"run\": {\"watchdog\": \"1.5s\"}}"), 0);
    ck_assert_int_eq(sc.watchdog_ms, 1500);
    fl_scenario_close(&sc);
    expect_error("{\"run\": {\"watchdog\": \"10us\"}}", FL_EINVAL,
                 "run.watchdog: expected a duration of at least 1ms, got \"10us\"");
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario_values");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_empty_gives_defaults);
    tcase_add_test(tc, test_scenario_design_example_parses);
    tcase_add_test(tc, test_scenario_link_latency_defaults_to_network);
    tcase_add_test(tc, test_scenario_present_section_uses_defaults);
    tcase_add_test(tc, test_scenario_null_means_default);
    tcase_add_test(tc, test_scenario_partition_kinds_subset);
    tcase_add_test(tc, test_scenario_script_is_array_of_objects);
    tcase_add_test(tc, test_scenario_watchdog_in_ms);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(scenario_suite)

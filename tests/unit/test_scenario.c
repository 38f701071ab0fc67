/*
 * test_scenario.c -- scenario files: defaults, every error message (exact text, so the
 * path in it is checked), --set overrides, durations, and the canonical round trip.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "sim/scenario.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

/* DESIGN.md's example scenario, verbatim. */
static const char *const design_example =
    "{\n"
    "  \"name\": \"raft-3-partitions\",\n"
    "  \"protocol\": \"raft\", \"nodes\": 3,\n"
    "  \"params\": { \"election_timeout\": \"150ms\", \"heartbeat\": \"50ms\", \"bugs\": [] },\n"
    "  \"network\": { \"latency\": { \"min\": \"1ms\", \"max\": \"10ms\" }, \"drop\": 0.01, "
    "\"duplicate\": 0.001,\n"
    "               \"links\": [ { \"from\": 1, \"to\": 2, \"latency\": { \"min\": \"20ms\", "
    "\"max\": \"40ms\" } } ] },\n"
    "  \"disk\": { \"sync\": { \"min\": \"1ms\", \"max\": \"5ms\" } },\n"
    "  \"faults\": { \"window\": [\"1s\", \"20s\"], \"swarm\": false,\n"
    "              \"partition\": { \"every\": \"3s\", \"duration\": \"1s\", \"kinds\": "
    "[\"isolate\", \"halves\", \"oneway\", \"bridge\", \"ring\"] },\n"
    "              \"crash\": { \"every\": \"5s\", \"down\": \"500ms\", \"unsynced\": \"lose\" "
    "},\n"
    "              \"timeout\": { \"every\": \"2s\", \"timer\": \"election\" } },\n"
    "  \"workload\": { \"every\": \"100ms\", \"ops\": 200 },\n"
    "  \"run\": { \"until\": \"30s\", \"max_steps\": 5000000, \"liveness\": \"10s\" }\n"
    "}\n";

static char err[512];

static int parse(fl_scenario *sc, const char *text)
{
    return fl_scenario_parse(sc, text, strlen(text), NULL, 0, err, sizeof err);
}

static int parse_sets(fl_scenario *sc, const char *text, const char *const *sets, size_t n)
{
    return fl_scenario_parse(sc, text, strlen(text), sets, n, err, sizeof err);
}

/* text must fail with exactly "scenario: " + msg, and leave sc empty */
static void expect_error(const char *text, int code, const char *msg)
{
    fl_scenario sc;
    char want[512];
    snprintf(want, sizeof want, "scenario: %s", msg);
    int rc = parse(&sc, text);
    ck_assert_msg(rc == code, "%s: rc %d, want %d (%s)", text, rc, code, err);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(sc.json);
    ck_assert_ptr_null(sc.params);
}

static char *canonical(const fl_scenario *sc)
{
    char *s = cJSON_PrintUnformatted(sc->json);
    ck_assert_ptr_nonnull(s);
    return s;
}

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

/* ---- error messages ---- */

START_TEST(test_scenario_link_latency_not_a_duration)
{
    expect_error("{\"network\": {\"links\": [{\"from\": 1, \"to\": 2}, {\"from\": 2, \"to\": 1},"
                 " {\"from\": 1, \"to\": 3, \"latency\": {\"min\": 12}}]}}",
                 FL_EINVAL,
                 "network.links[2].latency.min: expected a duration such as \"150ms\", got 12");
}
END_TEST

START_TEST(test_scenario_drop_out_of_range)
{
    expect_error("{\"network\": {\"drop\": 1.5}}", FL_EINVAL,
                 "network.drop: expected a probability in [0,1], got 1.5");
    expect_error("{\"faults\": {\"corrupt\": \"0.1\"}}", FL_EINVAL,
                 "faults.corrupt: expected a probability in [0,1], got \"0.1\"");
}
END_TEST

START_TEST(test_scenario_nodes_out_of_range)
{
    expect_error("{\"nodes\": 0}", FL_EINVAL, "nodes: expected an integer in [1,1000000], got 0");
    expect_error("{\"nodes\": 1000001}", FL_EINVAL,
                 "nodes: expected an integer in [1,1000000], got 1000001");
    expect_error("{\"nodes\": 2.5}", FL_EINVAL,
                 "nodes: expected an integer in [1,1000000], got 2.5");
    expect_error("{\"run\": {\"max_steps\": 0}}", FL_EINVAL,
                 "run.max_steps: expected an integer in [1,100000000000], got 0");
}
END_TEST

START_TEST(test_scenario_unknown_partition_kind)
{
    expect_error("{\"faults\": {\"partition\": {\"kinds\": [\"ring\", \"square\"]}}}", FL_EINVAL,
                 "faults.partition.kinds[1]: unknown partition kind \"square\" (expected "
                 "isolate, halves, oneway, bridge or ring)");
    expect_error("{\"faults\": {\"partition\": {\"kinds\": [\"ring\", \"ring\"]}}}", FL_EINVAL,
                 "faults.partition.kinds[1]: partition kind \"ring\" is listed twice");
    expect_error("{\"faults\": {\"partition\": {\"kinds\": []}}}", FL_EINVAL,
                 "faults.partition.kinds: expected a non-empty array of partition kinds, got []");
}
END_TEST

START_TEST(test_scenario_unknown_network_key)
{
    expect_error("{\"network\": {\"colour\": \"red\"}}", FL_EINVAL,
                 "network.colour: unknown key (expected mode, latency, drop, duplicate, spike, "
                 "spike_delay, fifo or links)");
}
END_TEST

START_TEST(test_scenario_unknown_top_level_key)
{
    expect_error("{\"nodes\": 3, \"nodez\": 5}", FL_EINVAL,
                 "nodez: unknown key (expected name, protocol, nodes, params, network, disk, "
                 "faults, workload, run or script)");
}
END_TEST

START_TEST(test_scenario_wrong_type_names_path)
{
    expect_error("[]", FL_EINVAL, "expected an object at the top level, got []");
    expect_error("{\"network\": 3}", FL_EINVAL, "network: expected an object, got 3");
    expect_error("{\"params\": [1]}", FL_EINVAL, "params: expected an object, got [1]");
    expect_error("{\"run\": {\"until\": true}}", FL_EINVAL,
                 "run.until: expected a duration such as \"150ms\", got true");
    expect_error("{\"name\": 7}", FL_EINVAL, "name: expected a string of at most 127 bytes, got 7");
    expect_error("{\"network\": {\"fifo\": 1}}", FL_EINVAL,
                 "network.fifo: expected true or false, got 1");
    expect_error("{\"network\": {\"mode\": \"manual\"}}", FL_EINVAL,
                 "network.mode: unknown mode \"manual\" (expected auto or scripted)");
    expect_error("{\"faults\": {\"crash\": {\"unsynced\": 0}}}", FL_EINVAL,
                 "faults.crash.unsynced: expected a policy (keep, lose or tear), got 0");
    expect_error("{\"network\": {\"links\": {}}}", FL_EINVAL,
                 "network.links: expected an array of {\"from\", \"to\", \"latency\"}, got {}");
    expect_error("{\"disk\": {\"sync\": \"1ms\"}}", FL_EINVAL,
                 "disk.sync: expected an object, got \"1ms\"");
    expect_error("{\"faults\": {\"timeout\": {\"timer\": \"a-timer-name-longer-than-31-bytes\"}}}",
                 FL_EINVAL,
                 "faults.timeout.timer: expected a string of at most 31 bytes, got "
                 "\"a-timer-name-longer-than-31-bytes\"");
}
END_TEST

START_TEST(test_scenario_duration_limits)
{
    expect_error("{\"run\": {\"until\": \"0\"}}", FL_EINVAL,
                 "run.until: expected a duration of at least 1ns, got \"0\"");
    expect_error("{\"run\": {\"until\": \"525601m\"}}", FL_EINVAL,
                 "run.until: expected a duration of at most 525600m, got \"525601m\"");
    expect_error("{\"faults\": {\"crash\": {\"down\": 0}}}", FL_EINVAL,
                 "faults.crash.down: expected a duration of at least 1ns, got 0");
    expect_error("{\"network\": {\"latency\": {\"min\": \"-1ms\"}}}", FL_EINVAL,
                 "network.latency.min: expected a duration such as \"150ms\", got \"-1ms\"");
}
END_TEST

START_TEST(test_scenario_latency_min_above_max)
{
    expect_error("{\"network\": {\"latency\": {\"min\": \"20ms\"}}}", FL_EINVAL,
                 "network.latency: min (20ms) is greater than max (10ms)");
    expect_error("{\"network\": {\"spike_delay\": {\"max\": \"1ms\"}}}", FL_EINVAL,
                 "network.spike_delay: min (50ms) is greater than max (1ms)");
}
END_TEST

START_TEST(test_scenario_trailing_garbage)
{
    expect_error("{\"nodes\": 3}\n\n  x", FL_EPARSE,
                 "trailing characters after the JSON at line 3, column 3");
    expect_error("{} {}", FL_EPARSE, "trailing characters after the JSON at line 1, column 4");
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "  {}  \n\t\r\n"), 0); /* trailing whitespace is fine */
    fl_scenario_close(&sc);
    /* a NUL byte inside the given length is garbage too */
    ck_assert_int_eq(fl_scenario_parse(&sc, "{}\0x", 4, NULL, 0, err, sizeof err), FL_EPARSE);
}
END_TEST

START_TEST(test_scenario_malformed_json_has_line_and_column)
{
    expect_error("{\n  \"nodes\": 3,\n  \"name\": }", FL_EPARSE,
                 "malformed JSON at line 3, column 11");
    expect_error("", FL_EPARSE, "malformed JSON at line 1, column 1");
}
END_TEST

START_TEST(test_scenario_duplicate_key)
{
    expect_error("{\"nodes\": 3, \"nodes\": 5}", FL_EINVAL, "duplicate key \"nodes\"");
    expect_error("{\"params\": {\"x\": {\"a\": 1, \"a\": 2}}}", FL_EINVAL,
                 "params.x: duplicate key \"a\"");
}
END_TEST

START_TEST(test_scenario_links_node_out_of_range)
{
    expect_error("{\"network\": {\"links\": [{\"from\": 1, \"to\": 4}]}}", FL_EINVAL,
                 "network.links[0].to: expected an integer in [1,3], got 4");
    expect_error("{\"nodes\": 5, \"network\": {\"links\": [{\"from\": 0, \"to\": 4}]}}", FL_EINVAL,
                 "network.links[0].from: expected an integer in [1,5], got 0");
    expect_error("{\"network\": {\"links\": [{\"to\": 2}]}}", FL_EINVAL,
                 "network.links[0]: missing key \"from\"");
    expect_error("{\"network\": {\"links\": [{\"from\": 2, \"to\": 2}]}}", FL_EINVAL,
                 "network.links[0]: a link joins two different nodes, got from = to = 2");
    expect_error("{\"network\": {\"links\": [{\"from\": 2, \"to\": 1}, {\"from\": 1, \"to\": 2},"
                 " {\"from\": 2, \"to\": 1}]}}",
                 FL_EINVAL,
                 "network.links[2]: a second link 2 -> 1 (the first is "
                 "network.links[0])");
}
END_TEST

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

START_TEST(test_scenario_window_outside_run)
{
    expect_error("{\"faults\": {\"window\": [\"1s\", \"40s\"]}}", FL_EINVAL,
                 "faults.window: the window [\"1s\", \"40s\"] ends after run.until (30s)");
    expect_error("{\"faults\": {\"window\": [\"5s\", \"2s\"]}}", FL_EINVAL,
                 "faults.window: the window must end after it starts, got [\"5s\", \"2s\"]");
    expect_error("{\"faults\": {\"window\": [\"5s\"]}}", FL_EINVAL,
                 "faults.window: expected [FROM, TO] (two durations such as \"1s\"), got [\"5s\"]");
    expect_error("{\"faults\": {\"window\": [\"5s\", 7]}}", FL_EINVAL,
                 "faults.window[1]: expected a duration such as \"150ms\", got 7");
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{\"faults\": {\"window\": [0, \"30s\"]}}"), 0);
    ck_assert_int_eq(sc.faults.window_from_ns, 0);
    ck_assert_int_eq(sc.faults.window_to_ns, 30 * SEC);
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

/* ---- canonical form ---- */

static void check_round_trip(const char *text)
{
    fl_scenario a, b;
    ck_assert_msg(parse(&a, text) == 0, "%s", err);
    char *s1 = canonical(&a);
    ck_assert_msg(parse(&b, s1) == 0, "%s: %s", s1, err);
    char *s2 = canonical(&b);
    ck_assert_str_eq(s1, s2);
    ck_assert_int_eq(a.until_ns, b.until_ns);
    ck_assert_int_eq(a.faults.partition_kinds, b.faults.partition_kinds);
    ck_assert_uint_eq(a.nlinks, b.nlinks);
    /* formatted (indented) text parses to the same canonical text too */
    char *pretty = cJSON_Print(a.json);
    fl_scenario_close(&b);
    ck_assert_int_eq(parse(&b, pretty), 0);
    char *s3 = canonical(&b);
    ck_assert_str_eq(s1, s3);
    free(s1);
    free(s2);
    free(s3);
    free(pretty);
    fl_scenario_close(&a);
    fl_scenario_close(&b);
}

START_TEST(test_scenario_round_trip)
{
    check_round_trip("{}");
    check_round_trip(design_example);
    check_round_trip("{\"nodes\": 2, \"faults\": {\"window\": [\"0\", \"30s\"]}, "
                     "\"network\": {\"latency\": {\"min\": \"0.5ms\", \"max\": \"1.25s\"}}}");
}
END_TEST

START_TEST(test_scenario_round_trip_every_key)
{
    check_round_trip(
        "{\"name\": \"all\", \"protocol\": \"echo\", \"nodes\": 7, \"params\": {\"z\": 1, "
        "\"a\": {\"y\": [1, {\"q\": 2, \"b\": 3}], \"c\": null}},"
        " \"network\": {\"mode\": \"scripted\", \"latency\": {\"min\": \"0.5ms\", \"max\": "
        "\"1.25s\"}, \"drop\": 0.3, \"duplicate\": 0.125, \"spike\": 1, \"spike_delay\": "
        "{\"min\": 0, \"max\": \"90s\"}, \"fifo\": true, \"links\": [{\"from\": 7, \"to\": 1}]},"
        " \"disk\": {\"sync\": {\"min\": \"1001ns\", \"max\": \"2m\"}},"
        " \"faults\": {\"window\": [\"0\", \"1m\"], \"swarm\": true, \"partition\": {\"every\": "
        "\"0\", \"kinds\": [\"bridge\"]}, \"crash\": {\"unsynced\": \"keep\"}, \"timeout\": "
        "{\"timer\": \"heartbeat\"}, \"clock\": {\"max_drift\": 100}, \"corrupt\": 0.001},"
        " \"workload\": {\"every\": 0, \"ops\": 1000000000000},"
        " \"run\": {\"until\": \"1m\", \"max_steps\": 100000000000, \"liveness\": 0, "
        "\"watchdog\": \"2.5s\"}, \"script\": [{\"crash\": 2}, {\"stabilize\": true}]}");
}
END_TEST

START_TEST(test_scenario_canonical_ignores_key_order)
{
    fl_scenario a, b;
    ck_assert_int_eq(parse(&a, "{\"run\": {\"liveness\": \"5s\", \"until\": \"20s\"}, \"nodes\": 5,"
                               " \"params\": {\"b\": 1, \"a\": {\"d\": 1, \"c\": 2}}}"),
                     0);
    ck_assert_int_eq(parse(&b, "{\"params\": {\"a\": {\"c\": 2, \"d\": 1}, \"b\": 1}, \"nodes\": 5,"
                               " \"run\": {\"until\": \"20000ms\", \"liveness\": \"5000ms\"}}"),
                     0);
    char *s1 = canonical(&a), *s2 = canonical(&b);
    ck_assert_str_eq(s1, s2);
    free(s1);
    free(s2);
    fl_scenario_close(&a);
    fl_scenario_close(&b);
}
END_TEST

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
    snprintf(msg, sizeof msg, "%s: nodes: expected an integer in [1,1000000], got 0", path);
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
    ck_assert_int_eq(fl_scenario_load(&sc, "-", sets, 1, err, sizeof err), 0);
    ck_assert_int_eq(sc.nodes, 4);
    fl_scenario_close(&sc);
    fl_scenario_close(&sc); /* closing twice is harmless */
    fl_scenario_close(NULL);
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
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_empty_gives_defaults);
    tcase_add_test(tc, test_scenario_design_example_parses);
    tcase_add_test(tc, test_scenario_link_latency_not_a_duration);
    tcase_add_test(tc, test_scenario_drop_out_of_range);
    tcase_add_test(tc, test_scenario_nodes_out_of_range);
    tcase_add_test(tc, test_scenario_unknown_partition_kind);
    tcase_add_test(tc, test_scenario_unknown_network_key);
    tcase_add_test(tc, test_scenario_unknown_top_level_key);
    tcase_add_test(tc, test_scenario_wrong_type_names_path);
    tcase_add_test(tc, test_scenario_duration_limits);
    tcase_add_test(tc, test_scenario_latency_min_above_max);
    tcase_add_test(tc, test_scenario_trailing_garbage);
    tcase_add_test(tc, test_scenario_malformed_json_has_line_and_column);
    tcase_add_test(tc, test_scenario_duplicate_key);
    tcase_add_test(tc, test_scenario_links_node_out_of_range);
    tcase_add_test(tc, test_scenario_link_latency_defaults_to_network);
    tcase_add_test(tc, test_scenario_window_outside_run);
    tcase_add_test(tc, test_scenario_present_section_uses_defaults);
    tcase_add_test(tc, test_scenario_null_means_default);
    tcase_add_test(tc, test_scenario_partition_kinds_subset);
    tcase_add_test(tc, test_scenario_script_is_array_of_objects);
    tcase_add_test(tc, test_scenario_watchdog_in_ms);
    tcase_add_test(tc, test_scenario_set_overrides);
    tcase_add_test(tc, test_scenario_set_creates_params_bugs);
    tcase_add_test(tc, test_scenario_set_array_index);
    tcase_add_test(tc, test_scenario_set_malformed);
    tcase_add_test(tc, test_scenario_set_unknown_key_is_validation_error);
    tcase_add_test(tc, test_scenario_set_through_a_scalar_fails);
    tcase_add_test(tc, test_scenario_set_value_json_or_string);
    tcase_add_test(tc, test_scenario_round_trip);
    tcase_add_test(tc, test_scenario_round_trip_every_key);
    tcase_add_test(tc, test_scenario_canonical_ignores_key_order);
    tcase_add_test(tc, test_scenario_load_missing_file);
    tcase_add_test(tc, test_scenario_load_names_from_file);
    tcase_add_test(tc, test_scenario_load_default);
    tcase_add_test(tc, test_scenario_too_large);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

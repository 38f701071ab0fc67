/* scenario_fixture.h -- the fixture of the scenario-file unit tests
 * (tests/unit/test_scenario_*.c): DESIGN.md's example scenario, parse helpers that leave
 * the error message in `err`, expect_error() for exact error texts (so the path in them is
 * checked), and the canonical text of a parsed scenario.
 *
 * A header of static functions rather than a .c file: only tests/unit/test_*.c files
 * become programs, each its own; a test file may leave some helpers unused. */
#ifndef FL_TESTS_UNIT_SCENARIO_FIXTURE_H
#define FL_TESTS_UNIT_SCENARIO_FIXTURE_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/run/scenario.h"

/* Each test file uses some of these helpers; the others are not an error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

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

#pragma GCC diagnostic pop

#endif

/* schedule_fixture.h -- the fixture of the fault-schedule unit tests
 * (tests/unit/test_schedule_*.c): a busy fault configuration with every kind on, and
 * helpers that generate a schedule (or its text) for a seed over a 30 s run.
 *
 * A header of static functions rather than a .c file: only tests/unit/test_*.c files
 * become programs, each its own; a test file may leave some helpers unused. */
#ifndef FL_TESTS_UNIT_SCHEDULE_FIXTURE_H
#define FL_TESTS_UNIT_SCHEDULE_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "faults/schedule.h"

/* Each test file uses some of these helpers; the others are not an error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

static fl_faults_config busy_config(void)
{
    fl_faults_config c;
    memset(&c, 0, sizeof c);
    c.window_from_ns = 1 * SEC;
    c.window_to_ns = 20 * SEC;
    c.partition_every_ns = 2 * SEC;
    c.partition_duration_ns = 1 * SEC;
    c.partition_kinds = (1u << FL_PART_KIND_COUNT) - 1;
    c.crash_every_ns = 1 * SEC;
    c.crash_down_ns = 2 * SEC;
    c.unsynced = FL_UNSYNCED_LOSE;
    c.timeout_every_ns = 1 * SEC;
    strcpy(c.timeout_timer, "election");
    c.clock_every_ns = 3 * SEC;
    c.clock_max_ppm = 20000;
    return c;
}

/* Generate as a run does: swarm mode applied to a copy of c first, once. */
static fl_schedule *gen(const fl_faults_config *c, int nodes, uint64_t seed)
{
    fl_schedule *s;
    char err[256];
    fl_faults_config run = *c;
    fl_faults_swarm(&run, NULL, seed);
    int rc = fl_schedule_generate(&run, nodes, seed, 30 * SEC, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "seed %llu: %s", (unsigned long long)seed, err);
    return s;
}

static char *gen_text(const fl_faults_config *c, int nodes, uint64_t seed)
{
    fl_schedule *s = gen(c, nodes, seed);
    char *t = fl_schedule_to_text(s);
    fl_schedule_free(s);
    return t;
}

#pragma GCC diagnostic pop

#endif

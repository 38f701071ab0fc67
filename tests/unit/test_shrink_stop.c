/*
 * test_shrink_stop.c -- shrink's candidates stop early (sim/shrink.h, fl_shrink_stop_ns;
 * sim/run/run.h, fl_run_job.stop_ns): the stop time of a violation is its failing time
 * plus a quarter (at least 1 s), a liveness failure has none, and a run with stop_ns
 * ends there, fewer steps in, the same at every try; a stop past until changes nothing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/faultline.h"
#include "core/world.h"
#include "sim/protocols/registry.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/shrink.h"

#include "check_main.h"

START_TEST(stop_time_of_a_failure)
{
    ck_assert_int_eq(fl_shrink_stop_ns(FL_OUTCOME_VIOLATION, 10 * FL_S), 10 * FL_S + 10 * FL_S / 4);
    ck_assert_int_eq(fl_shrink_stop_ns(FL_OUTCOME_VIOLATION, 2 * FL_S), 3 * FL_S);
    ck_assert_int_eq(fl_shrink_stop_ns(FL_OUTCOME_VIOLATION, 0), FL_S);
    ck_assert_int_eq(fl_shrink_stop_ns(FL_OUTCOME_LIVENESS, 10 * FL_S), 0);
    ck_assert_int_eq(fl_shrink_stop_ns(FL_OUTCOME_VIOLATION, -1), 0);
}
END_TEST

static const char *chaos_path(void)
{
    static char p[1024];
    const char *here = __FILE__, *cut = strstr(here, "tests/unit/");
    const char *root = getenv("FL_SOURCE_DIR");
    ck_assert_ptr_nonnull(cut);
    if (root)
        snprintf(p, sizeof p, "%s/sim/scenarios/raft-chaos.json", root);
    else
        snprintf(p, sizeof p, "%.*ssim/scenarios/raft-chaos.json", (int)(cut - here), here);
    return p;
}

static fl_run_result run_seed(const fl_scenario *sc, uint64_t seed, int64_t stop_ns)
{
    char err[512];
    fl_run_job job = {
        .sc = sc, .protocol = fl_registry_find("raft"), .seed = seed, .stop_ns = stop_ns};
    fl_run_result res;
    ck_assert_msg(fl_run(&job, &res, err, sizeof err) == 0, "%s", err);
    return res;
}

START_TEST(a_stopped_run_is_the_full_run_cut)
{
    char err[512];
    fl_scenario sc;
    ck_assert_msg(fl_scenario_load(&sc, chaos_path(), NULL, 0, err, sizeof err) == 0, "%s", err);
    fl_run_result full = run_seed(&sc, 1, 0);
    ck_assert_int_eq(full.outcome, FL_OUTCOME_OK);
    fl_run_result cut = run_seed(&sc, 1, sc.until_ns / 3);
    ck_assert_int_eq(cut.sim_time_ns, sc.until_ns / 3);
    ck_assert_uint_lt(cut.steps, full.steps);
    ck_assert_uint_gt(cut.steps, 0);
    ck_assert_str_ne(cut.digest, full.digest);
    /* past until the stop changes nothing */
    fl_run_result late = run_seed(&sc, 1, sc.until_ns * 2);
    ck_assert_str_eq(late.digest, full.digest);
    fl_run_result again = run_seed(&sc, 1, sc.until_ns / 3);
    ck_assert_str_eq(again.digest, cut.digest);
    fl_scenario_close(&sc);
}
END_TEST

static Suite *shrink_stop_suite(void)
{
    Suite *s = suite_create("shrink_stop");
    TCase *t = tcase_create("stop");
    tcase_add_test(t, stop_time_of_a_failure);
    tcase_add_test(t, a_stopped_run_is_the_full_run_cut);
    suite_add_tcase(s, t);
    return s;
}

FL_CHECK_MAIN(shrink_stop_suite)

/* test_faults_schedules.c -- generated fault schedules on a busy run: the same seed gives
 * the same digest, a written schedule given back reproduces the run, the account of each
 * fault matches the schedule and its effects, and the schedule does not depend on the
 * workload. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run/scenario.h"

#include "check_main.h"
#include "faults_fixture.h"

/* ---- generated schedules: accounting, reproduction ---- */

static fl_faults_config busy_config(void)
{
    fl_faults_config c;
    memset(&c, 0, sizeof c);
    c.window_from_ns = 1 * SEC;
    c.window_to_ns = 8 * SEC;
    c.partition_every_ns = 1 * SEC;
    c.partition_duration_ns = 500 * MS;
    c.partition_kinds = (1u << FL_PART_KIND_COUNT) - 1;
    c.crash_every_ns = 1 * SEC;
    c.crash_down_ns = 300 * MS;
    c.unsynced = FL_UNSYNCED_LOSE;
    c.timeout_every_ns = 500 * MS;
    strcpy(c.timeout_timer, "other");
    c.clock_every_ns = 2 * SEC;
    c.clock_max_ppm = 20000;
    return c;
}

static const fl_net_faults busy_net = {
    .drop = 0.05, .duplicate = 0.02, .spike = 0.02, .spike_delay = {20 * MS, 80 * MS}};

/* Run seed with schedule s (generated when NULL); returns the digest. */
static uint64_t busy_run(uint64_t seed, const fl_schedule *s, char **text)
{
    fl_faults_config c = busy_config();
    fl_schedule *own = NULL;
    char err[256];
    if (!s) {
        ck_assert_int_eq(fl_schedule_generate(&c, 5, seed, 10 * SEC, &own, err, sizeof err), 0);
        s = own;
    }
    fl_world *w = tp_world(seed, 5, 10 * SEC, FL_UNSYNCED_LOSE, (fl_latency){1 * MS, 10 * MS});
    fl_faults *f = attach(w, s, &c, &busy_net);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    uint64_t d = fl_world_digest(w);
    if (text)
        *text = fl_schedule_to_text(s);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(own);
    return d;
}

START_TEST(test_faults_same_seed_same_digest)
{
    for (uint64_t seed = 1; seed <= 5; seed++)
        ck_assert_msg(busy_run(seed, NULL, NULL) == busy_run(seed, NULL, NULL), "seed %llu",
                      (unsigned long long)seed);
    ck_assert(busy_run(1, NULL, NULL) != busy_run(2, NULL, NULL));
}
END_TEST

START_TEST(test_faults_written_schedule_reproduces_the_run)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        char *text, err[256];
        uint64_t generated = busy_run(seed, NULL, &text);
        fl_schedule *s;
        ck_assert_int_eq(fl_schedule_parse(text, strlen(text), 5, 10 * SEC, &s, err, sizeof err),
                         0);
        char *again;
        uint64_t replayed = busy_run(seed, s, &again);
        ck_assert_str_eq(text, again);
        ck_assert_msg(generated == replayed, "seed %llu", (unsigned long long)seed);
        free(text);
        free(again);
        fl_schedule_free(s);
    }
}
END_TEST

typedef struct row_check {
    const fl_faults *f;
    const fl_schedule *s;
    uint64_t next_seq;
    uint64_t took[FL_FAULT_KIND_COUNT];
} row_check;

static void row_cb(void *ctx, const fl_faults_row *row)
{
    row_check *rc = ctx;
    uint64_t seq = row->seq;
    int64_t at_ns = row->at_ns;
    const char *kind = row->kind, *spec = row->spec;
    int took = row->took_effect;
    ck_assert_int_eq(row->reached, fl_faults_reached(rc->f, seq - 1));
    ck_assert(row->reached || !took);
    ck_assert_uint_eq(seq, ++rc->next_seq);
    const fl_fault *e = fl_schedule_entry(rc->s, seq - 1);
    ck_assert_int_eq(at_ns, e->at_ns);
    ck_assert_str_eq(kind, fl_fault_kind_name(e->kind));
    char *want = fl_schedule_entry_text(rc->s, seq - 1);
    ck_assert_str_eq(spec, want);
    free(want);
    ck_assert_int_eq(took, fl_faults_took_effect(rc->f, seq - 1));
    rc->took[e->kind] += took != 0;
}

START_TEST(test_faults_accounting_matches_schedule_and_effects)
{
    fl_faults_config c = busy_config();
    fl_schedule *s;
    char err[256];
    ck_assert_int_eq(fl_schedule_generate(&c, 5, 21, 10 * SEC, &s, err, sizeof err), 0);
    fl_world *w = tp_world(21, 5, 10 * SEC, FL_UNSYNCED_LOSE, (fl_latency){1 * MS, 10 * MS});
    fl_faults *f = attach(w, s, &c, &busy_net);
    fl_world_run(w);
    uint64_t n[FL_FAULT_KIND_COUNT];
    fl_schedule_count(s, n);
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    row_check rc = {.f = f, .s = s};
    ck_assert_int_eq(fl_faults_each(f, row_cb, &rc), 0);
    ck_assert_uint_eq(rc.next_seq, fl_schedule_len(s));
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++) {
        char name[64];
        snprintf(name, sizeof name, "faults.%s.scheduled", fl_fault_kind_name(k));
        ck_assert_int_eq(metric(w, name), (int64_t)st.scheduled[k]);
        snprintf(name, sizeof name, "faults.%s.effective", fl_fault_kind_name(k));
        ck_assert_int_eq(metric(w, name), (int64_t)st.effective[k]);
        snprintf(name, sizeof name, "faults.%s.reached", fl_fault_kind_name(k));
        ck_assert_int_eq(metric(w, name), (int64_t)st.reached[k]);
        ck_assert_uint_le(st.effective[k], st.reached[k]);
        ck_assert_uint_le(st.reached[k], st.scheduled[k]);
        if (k < FL_FAULT_KIND_COUNT) {
            ck_assert_uint_eq(st.scheduled[k], n[k]);
            ck_assert_uint_eq(st.effective[k], rc.took[k]);
        }
    }
    /* this run is busy enough for every kind; what lies past its end is not reached */
    ck_assert_uint_gt(st.effective[FL_FAULT_PARTITION], 0);
    ck_assert_uint_gt(st.effective[FL_FAULT_CRASH], 0);
    ck_assert_uint_gt(st.effective[FL_FAULT_HEAL], 0);
    ck_assert_uint_eq(st.effective[FL_FAULT_RESTART], n[FL_FAULT_RESTART]);
    ck_assert_uint_gt(st.effective[FL_FAULT_TIMEOUT], 0);
    ck_assert_uint_eq(st.effective[FL_FAULT_CLOCK], n[FL_FAULT_CLOCK]);
    ck_assert_uint_gt(st.effective[FL_FAULT_DROP], 0);
    ck_assert_uint_gt(st.effective[FL_FAULT_DUPLICATE], 0);
    ck_assert_uint_gt(st.effective[FL_FAULT_DELAY], 0);
    /* the liveness phase starts at the window's end */
    ck_assert_int_eq(fl_cluster_quiet_since(fl_world_cluster(w)), c.window_to_ns);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_faults_schedule_does_not_depend_on_workload)
{
    const char *a = "{\"faults\": {\"window\": [\"1s\", \"20s\"], \"crash\": {\"every\": \"2s\"},"
                    " \"partition\": {\"every\": \"3s\"}}, \"workload\": {\"every\": \"100ms\"}}";
    const char *b = "{\"faults\": {\"window\": [\"1s\", \"20s\"], \"crash\": {\"every\": \"2s\"},"
                    " \"partition\": {\"every\": \"3s\"}}, \"workload\": {\"every\": \"7ms\","
                    " \"ops\": 12}}";
    fl_scenario sa, sb;
    char err[256];
    ck_assert_msg(fl_scenario_parse(&sa, a, strlen(a), NULL, 0, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(fl_scenario_parse(&sb, b, strlen(b), NULL, 0, err, sizeof err) == 0, "%s", err);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        fl_schedule *x, *y;
        ck_assert_int_eq(
            fl_schedule_generate(&sa.faults, sa.nodes, seed, sa.until_ns, &x, err, sizeof err), 0);
        ck_assert_int_eq(
            fl_schedule_generate(&sb.faults, sb.nodes, seed, sb.until_ns, &y, err, sizeof err), 0);
        char *tx = fl_schedule_to_text(x), *ty = fl_schedule_to_text(y);
        ck_assert_uint_gt(fl_schedule_len(x), 3);
        ck_assert_str_eq(tx, ty);
        free(tx);
        free(ty);
        fl_schedule_free(x);
        fl_schedule_free(y);
    }
    fl_scenario_close(&sa);
    fl_scenario_close(&sb);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults_schedules");
    TCase *tc = tcase_create("schedules");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_faults_same_seed_same_digest);
    tcase_add_test(tc, test_faults_written_schedule_reproduces_the_run);
    tcase_add_test(tc, test_faults_accounting_matches_schedule_and_effects);
    tcase_add_test(tc, test_faults_schedule_does_not_depend_on_workload);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)

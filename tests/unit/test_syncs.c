/* test_syncs.c -- disk syncs as drivers decide them: the script driver completes them
 * within the step that asked (the default) or holds them until {"sync": N}; a crash
 * takes a held sync's bytes with it; and the corruption fault draws from its own stream,
 * so turning it on leaves every sync time where it was. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/world.h"
#include "check_main.h"
#include "tests/unit/script_fixture.h"

#define MS ((int64_t)1000000)

/* ---- a protocol that writes a record per client request and reads its disk back ---- */

typedef struct dp_state {
    int written, synced, read_back;
} dp_state;

static const char *const dp_timers[] = {"tick", NULL};

static void dp_start(fl_node *n, const cJSON *params)
{
    dp_state *s = fl_state(n);
    (void)params;
    s->read_back = (int)(fl_disk_size(n, 0) / 4); /* what survived: 4 bytes per record */
    fl_timer_set(n, 0, 3 * MS);
}

static void dp_write(fl_node *n)
{
    dp_state *s = fl_state(n);
    s->written++;
    fl_disk_append(n, 0, &s->written, 4);
    fl_disk_sync(n, 0);
}

static void dp_on_timer(fl_node *n, int timer)
{
    (void)timer;
    dp_write(n);
    unsigned char buf[64];
    fl_disk_read(n, 0, 0, buf, sizeof buf); /* the bytes are ignored: only the draws count */
    fl_timer_set(n, 0, 3 * MS);
}

static void dp_on_client(fl_node *n, const void *op, size_t len)
{
    (void)op, (void)len;
    dp_write(n);
}

static void dp_on_synced(fl_node *n, uint64_t id)
{
    ((dp_state *)fl_state(n))->synced = (int)id;
}

static void dp_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

static cJSON *dp_snapshot(const fl_node *n)
{
    const dp_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "written", s->written);
    cJSON_AddNumberToObject(j, "synced", s->synced);
    cJSON_AddNumberToObject(j, "read_back", s->read_back);
    return j;
}

static const struct fl_protocol dp = {.api_version = FL_API_VERSION,
                                      .name = "disky",
                                      .timers = dp_timers,
                                      .state_size = sizeof(dp_state),
                                      .start = dp_start,
                                      .on_timer = dp_on_timer,
                                      .on_message = dp_on_message,
                                      .on_synced = dp_on_synced,
                                      .on_client = dp_on_client,
                                      .snapshot = dp_snapshot};

static fl_world *dp_world(double corrupt)
{
    fl_world_config cfg = {.seed = 3,
                           .nodes = 2,
                           .protocol = &dp,
                           .latency = {1 * MS, 2 * MS},
                           .disk_sync = {1 * MS, 4 * MS},
                           .unsynced = FL_UNSYNCED_LOSE,
                           .corrupt = corrupt,
                           .until_ns = 300 * MS,
                           .max_steps = 100000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    return w;
}

static int run_script(const char *text, fl_world **wp)
{
    fl_world *w = dp_world(0);
    fx_script_install(w);
    cJSON *script = cJSON_Parse(text);
    ck_assert_msg(script != NULL, "bad JSON in test: %s", text);
    int outcome = fx_script_run(w, script);
    cJSON_Delete(script);
    *wp = w;
    return outcome;
}

START_TEST(test_syncs_complete_within_the_step_by_default)
{
    fl_world *w;
    int outcome = run_script("[{\"client\": 1, \"op\": \"x\"},"
                             " {\"expect\": {\"node\": 1, \"written\": 1, \"synced\": 1}}]",
                             &w);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s", fl_world_violation(w)->detail);
    ck_assert_uint_eq(fl_world_steps(w), 3); /* two starts and the client step: no sync step */
    fx_world_free(w);
}
END_TEST

START_TEST(test_syncs_held_until_the_script_completes_them)
{
    fl_world *w;
    int outcome = run_script("[{\"syncs\": \"hold\"}, {\"client\": 1, \"op\": \"x\"},"
                             " {\"client\": 1, \"op\": \"y\"},"
                             " {\"expect\": {\"node\": 1, \"written\": 2, \"synced\": 0}},"
                             " {\"sync\": 1},"
                             " {\"expect\": {\"node\": 1, \"synced\": 1}},"
                             " {\"sync\": 1},"
                             " {\"expect\": {\"node\": 1, \"synced\": 2}}]",
                             &w);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s", fl_world_violation(w)->detail);
    ck_assert_uint_eq(fl_world_steps(w), 6); /* the two syncs are steps of their own */
    fx_world_free(w);
}
END_TEST

START_TEST(test_syncs_a_crash_loses_what_was_held)
{
    fl_world *w;
    int outcome = run_script("[{\"syncs\": \"hold\"}, {\"client\": 1, \"op\": \"x\"},"
                             " {\"sync\": 1}, {\"client\": 1, \"op\": \"y\"},"
                             " {\"crash\": 1}, {\"restart\": 1},"
                             " {\"expect\": {\"node\": 1, \"read_back\": 1}}]",
                             &w);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s", fl_world_violation(w)->detail);
    fx_world_free(w);
}
END_TEST

START_TEST(test_syncs_a_sync_with_nothing_held_diverges)
{
    fl_world *w;
    int outcome = run_script("[{\"syncs\": \"hold\"}, {\"sync\": 2}]", &w);
    ck_assert_int_eq(outcome, FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(fl_world_violation(w)->detail, "script[2]: sync: node 2 has no held sync");
    fx_world_free(w);
    outcome = run_script("[{\"client\": 1, \"op\": \"x\"}, {\"sync\": 1}]", &w);
    ck_assert_int_eq(outcome, FL_OUTCOME_DIVERGENCE); /* immediate: nothing is ever held */
    fx_world_free(w);
}
END_TEST

/* ---- corruption on its own stream ---- */

typedef struct times {
    int64_t at[4096];
    size_t n;
} times;

static int on_step(void *ctx, const fl_record *r)
{
    times *t = ctx;
    if (r->u.step.kind == FL_STEP_SYNCED && t->n < 4096)
        t->at[t->n++] = r->u.step.time_ns;
    return 0;
}

static void sync_times(double corrupt, times *t, uint64_t *corrupt_reads)
{
    fl_world *w = dp_world(corrupt);
    memset(t, 0, sizeof *t);
    fx_add_sink(w, FL_REC_BIT(FL_REC_STEP_END), t, on_step);
    fl_world_run(w);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    *corrupt_reads = c.corrupt_reads;
    fl_world_free(w);
}

START_TEST(test_syncs_corruption_moves_no_sync_time)
{
    times *off = calloc(1, sizeof *off), *on = calloc(1, sizeof *on);
    uint64_t none, some;
    sync_times(0, off, &none);
    sync_times(0.5, on, &some);
    ck_assert_uint_eq(none, 0);
    ck_assert_uint_gt(some, 10); /* the fault did happen */
    ck_assert_uint_gt(off->n, 100);
    ck_assert_uint_eq(on->n, off->n);
    for (size_t i = 0; i < off->n; i++)
        ck_assert_msg(on->at[i] == off->at[i], "sync %zu at %lld with corruption, %lld without", i,
                      (long long)on->at[i], (long long)off->at[i]);
    free(off);
    free(on);
}
END_TEST

static Suite *syncs_suite(void)
{
    Suite *s = suite_create("syncs");
    TCase *tc = tcase_create("syncs");
    tcase_add_test(tc, test_syncs_complete_within_the_step_by_default);
    tcase_add_test(tc, test_syncs_held_until_the_script_completes_them);
    tcase_add_test(tc, test_syncs_a_crash_loses_what_was_held);
    tcase_add_test(tc, test_syncs_a_sync_with_nothing_held_diverges);
    tcase_add_test(tc, test_syncs_corruption_moves_no_sync_time);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(syncs_suite)

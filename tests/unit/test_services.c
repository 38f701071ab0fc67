/* test_services.c -- the services a wrapped library needs (core/faultline.h):
 * fl_send_after_sync holds a message until its sync completes, in call order, and a
 * crash discards what is held; fl_local_now follows the node's clock drift as its
 * timers do, and keeps its value when the drift changes. */
#include <check.h>
#include <string.h>

#include "core/world.h"
#include "check_main.h"
#include "tests/unit/script_fixture.h"

#define MS ((int64_t)1000000)

/* ---- a protocol: a client op on node 1 writes, syncs, and sends A (after the sync)
 * and B (no sync, but after A) to node 2, which keeps what it got in order ---- */

typedef struct hp_state {
    char got[16];
    int ngot;
    int64_t fired_now_ns, fired_local_ns;
    int fired;
} hp_state;

static const char *const hp_timers[] = {"t", NULL};

static void hp_start(fl_node *n, const cJSON *params)
{
    (void)params;
    if (fl_node_id(n) == 1)
        fl_timer_set(n, 0, 30 * MS);
}

static void hp_on_timer(fl_node *n, int timer)
{
    hp_state *s = fl_state(n);
    (void)timer;
    if (s->fired++ == 0)
        fl_timer_set(n, 0, 40 * MS);
    s->fired_now_ns = fl_now(n);
    s->fired_local_ns = fl_local_now(n);
}

static void hp_on_client(fl_node *n, const void *op, size_t len)
{
    if (len == 3 && memcmp(op, "bad", 3) == 0) { /* a sync that was never requested */
        ck_assert_int_ne(fl_send_after_sync(n, 2, "X", 1, 999), 0);
        return;
    }
    fl_disk_append(n, 0, "x", 1);
    uint64_t id = fl_disk_sync(n, 0);
    ck_assert_int_eq(fl_send_after_sync(n, 2, "A", 1, id), 0);
    ck_assert_int_eq(fl_send_after_sync(n, 2, "B", 1, 0), 0);
}

static void hp_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    hp_state *s = fl_state(n);
    (void)from;
    if (len == 1 && s->ngot < 15)
        s->got[s->ngot++] = *(const char *)msg;
}

static cJSON *hp_snapshot(const fl_node *n)
{
    const hp_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "got", s->got);
    return j;
}

static const struct fl_protocol hp = {.api_version = FL_API_VERSION,
                                      .name = "heldsend",
                                      .timers = hp_timers,
                                      .state_size = sizeof(hp_state),
                                      .start = hp_start,
                                      .on_timer = hp_on_timer,
                                      .on_message = hp_on_message,
                                      .on_client = hp_on_client,
                                      .snapshot = hp_snapshot};

static fl_world *hp_world(int64_t until_ns)
{
    fl_world_config cfg = {.seed = 7,
                           .nodes = 2,
                           .protocol = &hp,
                           .latency = {1 * MS, 2 * MS},
                           .disk_sync = {1 * MS, 4 * MS},
                           .unsynced = FL_UNSYNCED_LOSE,
                           .until_ns = until_ns,
                           .max_steps = 100000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    return w;
}

static int run_script(const char *text, fl_world **wp)
{
    fl_world *w = hp_world(300 * MS);
    fx_script_install(w);
    cJSON *script = cJSON_Parse(text);
    ck_assert_msg(script != NULL, "bad JSON in test: %s", text);
    int outcome = fx_script_run(w, script);
    cJSON_Delete(script);
    *wp = w;
    return outcome;
}

START_TEST(test_services_held_send_waits_for_its_sync_in_call_order)
{
    fl_world *w;
    int outcome = run_script("[{\"syncs\": \"hold\"}, {\"client\": 1, \"op\": \"x\"},"
                             " {\"stabilize\": true},"
                             " {\"expect\": {\"node\": 2, \"got\": \"\"}},"
                             " {\"sync\": 1}, {\"stabilize\": true},"
                             " {\"expect\": {\"node\": 2, \"got\": \"AB\"}}]",
                             &w);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s", fl_world_violation(w)->detail);
    fx_world_free(w);
}
END_TEST

START_TEST(test_services_held_send_leaves_when_the_sync_completes_in_its_step)
{
    fl_world *w;
    int outcome = run_script("[{\"client\": 1, \"op\": \"x\"}, {\"stabilize\": true},"
                             " {\"expect\": {\"node\": 2, \"got\": \"AB\"}}]",
                             &w);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s", fl_world_violation(w)->detail);
    fx_world_free(w);
}
END_TEST

START_TEST(test_services_crash_discards_held_messages)
{
    fl_world *w;
    int outcome = run_script("[{\"syncs\": \"hold\"}, {\"client\": 1, \"op\": \"x\"},"
                             " {\"crash\": 1}, {\"restart\": 1}, {\"stabilize\": true},"
                             " {\"expect\": {\"node\": 2, \"got\": \"\"}}]",
                             &w);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s", fl_world_violation(w)->detail);
    ck_assert_uint_eq(fl_world_in_flight(w), 0);
    fx_world_free(w);
}
END_TEST

START_TEST(test_services_held_send_for_a_sync_never_requested_is_a_misuse)
{
    fl_world *w;
    int outcome = run_script("[{\"client\": 1, \"op\": \"bad\"}]", &w);
    ck_assert_int_eq(outcome, FL_OUTCOME_CRASH);
    ck_assert_str_eq(fl_world_violation(w)->check, "protocol_error");
    ck_assert_msg(strstr(fl_world_violation(w)->detail, "fl_send_after_sync(node 1, sync 999)"),
                  "%s", fl_world_violation(w)->detail);
    fx_world_free(w);
}
END_TEST

static const hp_state *node_state(fl_world *w, int id)
{
    return fl_cluster_state(fl_world_cluster(w), id);
}

START_TEST(test_services_local_clock_follows_the_drift_as_timers_do)
{
    fl_world *w = hp_world(200 * MS);
    ck_assert_int_eq(fl_world_set_drift(w, 1, 100000), 0); /* +10%: timers 10% longer */
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    const hp_state *s = node_state(w, 1);
    ck_assert_int_eq(s->fired, 2);
    /* armed for 30 ms then 40 ms of local time: 77 ms of virtual time */
    ck_assert_int_eq(s->fired_now_ns, 77 * MS);
    ck_assert_int_eq(s->fired_local_ns, 70 * MS);
    fl_world_free(w);
}
END_TEST

static void drift_action(fl_world *w, void *ctx, uint64_t node)
{
    (void)ctx;
    ck_assert_int_eq(fl_world_set_drift(w, (int)node, 100000), 0);
}

START_TEST(test_services_local_clock_keeps_its_value_when_the_drift_changes)
{
    fl_world *w = hp_world(200 * MS);
    fl_world_at(w, 50 * MS, FL_STEP_SCRIPT, 1, drift_action, NULL, 1);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    const hp_state *s = node_state(w, 1);
    /* the second timer was armed at 30 ms with no drift: it fires at 70 ms; the local
     * clock read 50 ms when the drift changed, and ran at 1/1.1 since */
    ck_assert_int_eq(s->fired_now_ns, 70 * MS);
    ck_assert_int_eq(s->fired_local_ns, 50 * MS + 20 * MS * 1000000 / 1100000);
    fl_world_free(w);
}
END_TEST

static Suite *services_suite(void)
{
    Suite *s = suite_create("services");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_services_held_send_waits_for_its_sync_in_call_order);
    tcase_add_test(tc, test_services_held_send_leaves_when_the_sync_completes_in_its_step);
    tcase_add_test(tc, test_services_crash_discards_held_messages);
    tcase_add_test(tc, test_services_held_send_for_a_sync_never_requested_is_a_misuse);
    tcase_add_test(tc, test_services_local_clock_follows_the_drift_as_timers_do);
    tcase_add_test(tc, test_services_local_clock_keeps_its_value_when_the_drift_changes);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(services_suite)

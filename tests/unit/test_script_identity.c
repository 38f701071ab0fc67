/* test_script_identity.c -- what scripts converted from automatic runs need of the
 * script driver: matchers by a message's identity on its link (nth, copy), the duplicate
 * action, and syncs held from boot.
 *
 * The protocol under test is `burst`, defined here: a client op "N" makes the node send
 * N messages "m1".."mN" to the next node; a node keeps the body it received last; every
 * start appends to its disk and asks for a sync, and a completed sync is counted. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/faultline.h"
#include "core/world.h"
#include "sim/run/script.h"
#include "tests/unit/script_fixture.h"
#include "check_main.h"

#define MS ((int64_t)1000000)

typedef struct burst_state {
    char last[16];
    int received, synced;
} burst_state;

static const char *const burst_timers[] = {"tick", NULL};

static void burst_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_disk_append(n, 0, "boot", 4);
    fl_disk_sync(n, 0);
}

static void burst_on_client(fl_node *n, const void *op, size_t len)
{
    char text[16], body[16];
    snprintf(text, sizeof text, "%.*s", (int)(len < 15 ? len : 15), (const char *)op);
    for (int i = 1; i <= atoi(text); i++) {
        int blen = snprintf(body, sizeof body, "m%d", i);
        fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, body, (size_t)blen);
    }
}

static void burst_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    burst_state *s = fl_state(n);
    (void)from;
    snprintf(s->last, sizeof s->last, "%.*s", (int)(len < 15 ? len : 15), (const char *)msg);
    s->received++;
}

static void burst_on_timer(fl_node *n, int timer)
{
    (void)n, (void)timer;
}

static void burst_on_synced(fl_node *n, uint64_t id)
{
    burst_state *s = fl_state(n);
    (void)id;
    s->synced++;
}

static cJSON *burst_snapshot(const fl_node *n)
{
    const burst_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "last", s->last);
    cJSON_AddNumberToObject(j, "received", s->received);
    cJSON_AddNumberToObject(j, "synced", s->synced);
    cJSON_AddNumberToObject(j, "local_us", (double)(fl_local_now(n) / 1000));
    return j;
}

static const char *burst_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    snprintf(buf, cap, "Burst %.*s", (int)len, (const char *)msg);
    return buf;
}

static const struct fl_protocol burst = {
    .api_version = FL_API_VERSION,
    .name = "burst",
    .timers = burst_timers,
    .state_size = sizeof(burst_state),
    .start = burst_start,
    .on_message = burst_on_message,
    .on_timer = burst_on_timer,
    .on_client = burst_on_client,
    .on_synced = burst_on_synced,
    .snapshot = burst_snapshot,
    .describe = burst_describe,
};

/* Run the script text on a fresh 3-node world; *wp keeps the world. */
static int run_text(const char *text, fl_world **wp)
{
    fl_world_config cfg = {.seed = 1,
                           .nodes = 3,
                           .protocol = &burst,
                           .latency = {1 * MS, 10 * MS},
                           .disk_sync = {1 * MS, 5 * MS},
                           .until_ns = 1000 * 1000 * MS,
                           .max_steps = 100000};
    char err[256];
    cJSON *script = cJSON_Parse(text);
    ck_assert_msg(script != NULL, "bad JSON in test: %s", text);
    ck_assert_msg(fl_script_validate(script, 3, err, sizeof err) == 0, "%s", err);
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    fx_script_install(w);
    int outcome = fx_script_run(w, script);
    cJSON_Delete(script);
    *wp = w;
    return outcome;
}

static void assert_snap(fl_world *w, int node, const char *key, const char *want)
{
    cJSON *j = fl_world_snapshot(w, node);
    char *t = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, key));
    ck_assert_str_eq(t, want);
    cJSON_free(t);
    cJSON_Delete(j);
}

static const char *detail_of(fl_world *w)
{
    const fl_violation *v = fl_world_violation(w);
    return v ? v->detail : "";
}

START_TEST(test_script_nth_names_one_send_on_the_link)
{
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"3\"},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 3}}]",
                              &w),
                     FL_OUTCOME_OK);
    assert_snap(w, 2, "last", "\"m3\"");
    fx_world_free(w);
    /* without nth: the oldest, m1 */
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"3\"}, {\"deliver\": {\"from\": 1}}]", &w),
                     FL_OUTCOME_OK);
    assert_snap(w, 2, "last", "\"m1\"");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_nth_not_in_flight_diverges)
{
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"2\"},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 2}},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 2}}]",
                              &w),
                     FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(detail_of(w),
                     "script[3]: deliver: no in-flight message from 1 to 2 (send 2 on the link)");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_duplicate_makes_numbered_copies)
{
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"2\"},"
                              " {\"duplicate\": {\"from\": 1, \"to\": 2, \"nth\": 2}},"
                              " {\"duplicate\": {\"from\": 1, \"to\": 2, \"nth\": 2}},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 2, \"copy\": 2}},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 2, \"copy\": 0}},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 2, \"copy\": 1}}]",
                              &w),
                     FL_OUTCOME_OK);
    assert_snap(w, 2, "received", "3");
    assert_snap(w, 2, "last", "\"m2\"");
    ck_assert_uint_eq(fl_world_in_flight(w), 1); /* m1 */
    fx_world_free(w);
    /* a delivered copy is gone */
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"1\"},"
                              " {\"duplicate\": {\"from\": 1, \"to\": 2, \"nth\": 1}},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 1, \"copy\": 1}},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 1, \"copy\": 1}}]",
                              &w),
                     FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(detail_of(w), "script[4]: deliver: no in-flight message from 1 to 2 "
                                   "(send 1 on the link, a copy)");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_syncs_held_from_boot)
{
    fl_world *w;
    /* by default the boot's syncs complete within the start steps */
    ck_assert_int_eq(run_text("[{\"syncs\": \"hold\"}, {\"sync\": 1}]", &w), FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(detail_of(w), "script[2]: sync: node 1 has no held sync");
    fx_world_free(w);
    ck_assert_int_eq(run_text("[{\"syncs\": \"hold\", \"from\": \"boot\"},"
                              " {\"expect\": {\"node\": 1, \"synced\": 0}}, {\"sync\": 1},"
                              " {\"expect\": {\"node\": 1, \"synced\": 1}}]",
                              &w),
                     FL_OUTCOME_OK);
    assert_snap(w, 2, "synced", "0");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_at_ns_sets_the_steps_time)
{
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"1\", \"at_ns\": 5000},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2}, \"at_ns\": 5000},"
                              " {\"client\": 1, \"op\": \"1\", \"at_ns\": 7000}]",
                              &w),
                     FL_OUTCOME_OK);
    ck_assert_int_eq(fl_world_now(w), 7000); /* no 1 ms after a timed entry's step */
    fx_world_free(w);
    ck_assert_int_eq(run_text("[{\"client\": 1, \"op\": \"1\", \"at_ns\": 5000},"
                              " {\"client\": 1, \"op\": \"1\", \"at_ns\": 4000}]",
                              &w),
                     FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(detail_of(w), "script[2]: at_ns 4000 is before the current time 5000");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_clock_sets_a_nodes_drift)
{
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"clock\": 2, \"ppm\": 100000, \"at_ns\": 1000000},"
                              " {\"client\": 1, \"op\": \"1\", \"at_ns\": 12000000}]",
                              &w),
                     FL_OUTCOME_OK);
    /* from 1 ms on node 2's clock runs at 1/1.1: 11 ms of virtual time show as 10 ms */
    ck_assert_int_eq(fl_world_now(w), 12000000);
    assert_snap(w, 1, "local_us", "12000");
    assert_snap(w, 2, "local_us", "11000");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_identity_validation)
{
    char err[256];
    static const char *const bad[][2] = {
        {"[{\"timeout\": 1}, {\"syncs\": \"hold\", \"from\": \"boot\"}]",
         "script[2].from: only the first entry can hold syncs from boot (the nodes boot before "
         "it)"},
        {"[{\"syncs\": \"immediate\", \"from\": \"boot\"}]",
         "script[1].from: only \"hold\" goes with \"from\": \"boot\""},
        {"[{\"syncs\": \"hold\", \"from\": \"start\"}]",
         "script[1].from: expected \"boot\", got \"start\""},
        {"[{\"expect\": {\"node\": 1, \"x\": 1}, \"at_ns\": 5}]",
         "script[1].at_ns: unknown key for a expect entry"},
        {"[{\"crash\": 1, \"at_ns\": -1}]",
         "script[1].at_ns: expected a virtual time in ns, an integer in [0, 2^62], got -1"},
        {"[{\"clock\": 2}]",
         "script[1].ppm: expected a drift in parts per million, an integer in [-500000, 500000], "
         "got nothing"},
        {"[{\"deliver\": {\"from\": 1, \"to\": 2, \"copy\": 1.5}}]",
         "script[1].deliver.copy: expected a copy number in [0, 3], got 1.5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *s = cJSON_Parse(bad[i][0]);
        ck_assert_int_ne(fl_script_validate(s, 3, err, sizeof err), 0);
        ck_assert_str_eq(err, bad[i][1]);
        cJSON_Delete(s);
    }
}
END_TEST

static Suite *identity_suite(void)
{
    Suite *s = suite_create("script_identity");
    TCase *tc = tcase_create("identity");
    tcase_add_test(tc, test_script_nth_names_one_send_on_the_link);
    tcase_add_test(tc, test_script_nth_not_in_flight_diverges);
    tcase_add_test(tc, test_script_duplicate_makes_numbered_copies);
    tcase_add_test(tc, test_script_syncs_held_from_boot);
    tcase_add_test(tc, test_script_at_ns_sets_the_steps_time);
    tcase_add_test(tc, test_script_clock_sets_a_nodes_drift);
    tcase_add_test(tc, test_script_identity_validation);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(identity_suite)

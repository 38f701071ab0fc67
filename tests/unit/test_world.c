/* test_world.c -- the world stepping the echo protocol: determinism, isolation,
 * violations, limits, crashes, scripted mode. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/world.h"
#include "core/world_impl.h"
#include "check_main.h"
#include "tests/unit/script_fixture.h"

extern const struct fl_protocol fl_proto_echo;

static fl_world *echo_world(uint64_t seed, int nodes, const char *params_json, int scripted)
{
    /* freed by free_world() through the cluster's params */
    cJSON *p = cJSON_Parse(params_json ? params_json : "{}");
    fl_world_config cfg = {.seed = seed,
                           .nodes = nodes,
                           .protocol = &fl_proto_echo,
                           .params = p,
                           .latency = {1000000, 10000000},
                           .disk_sync = {1000000, 5000000},
                           .until_ns = 2000000000,
                           .max_steps = 10000000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    if (scripted)
        fx_script_install(w);
    return w;
}

static void free_world(fl_world *w)
{
    cJSON *p = (cJSON *)fl_cluster_params(fl_world_cluster(w));
    fx_world_free(w);
    cJSON_Delete(p);
}

static uint64_t run_digest(uint64_t seed, int nodes)
{
    fl_world *w = echo_world(seed, nodes, NULL, 0);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    uint64_t d = fl_world_digest(w);
    free_world(w);
    return d;
}

START_TEST(test_world_same_seed_same_digest)
{
    for (uint64_t seed = 1; seed <= 20; seed++)
        ck_assert_msg(run_digest(seed, 3) == run_digest(seed, 3), "seed %llu",
                      (unsigned long long)seed);
}
END_TEST

START_TEST(test_world_different_seeds_differ)
{
    uint64_t a = run_digest(1, 3), b = run_digest(2, 3);
    ck_assert(a != b);
}
END_TEST

START_TEST(test_world_two_worlds_interleaved_do_not_interfere)
{
    uint64_t alone1 = run_digest(5, 4), alone2 = run_digest(6, 4);
    fl_world *w1 = echo_world(5, 4, NULL, 0), *w2 = echo_world(6, 4, NULL, 0);
    int more1 = 1, more2 = 1;
    while (more1 || more2) {
        if (more1)
            more1 = fl_world_step(w1);
        if (more2)
            more2 = fl_world_step(w2);
    }
    ck_assert(fl_world_digest(w1) == alone1);
    ck_assert(fl_world_digest(w2) == alone2);
    free_world(w1);
    free_world(w2);
}
END_TEST

START_TEST(test_world_counts_add_up)
{
    fl_world *w = echo_world(3, 5, NULL, 0);
    fl_world_run(w);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    ck_assert_uint_gt(c.sent, 100);
    ck_assert_uint_eq(c.sent, c.delivered + c.dropped + c.in_flight);
    ck_assert_int_eq(fl_world_now(w), 2000000000);
    free_world(w);
}
END_TEST

START_TEST(test_world_check_violation_stops_run)
{
    fl_world *w = echo_world(1, 3, "{\"bugs\": [\"pong_without_ping\"]}", 0);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_VIOLATION);
    ck_assert_str_eq(fl_world_violation(w)->check, "pong_without_ping");
    ck_assert_uint_eq(fl_world_fail_step(w) + 1, fl_world_steps(w));
    free_world(w);
}
END_TEST

START_TEST(test_world_max_steps_is_limit)
{
    fl_world *w;
    fl_world_config cfg = {.seed = 1,
                           .nodes = 3,
                           .protocol = &fl_proto_echo,
                           .latency = {1, 2},
                           .disk_sync = {1, 2},
                           .until_ns = 1000000000000,
                           .max_steps = 100};
    char err[128];
    w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_LIMIT);
    ck_assert_uint_eq(fl_world_steps(w), 100);
    fl_world_free(w);
}
END_TEST

static void crash_action(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_crash(w, (int)node), 0);
    fl_world_set_detail(w, "crash %d", (int)node);
}

static void restart_action(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_restart(w, (int)node), 0);
}

START_TEST(test_world_messages_to_a_down_node_are_dropped_down)
{
    fl_world *w = echo_world(9, 3, NULL, 0);
    fl_world_at(w, 500000000, FL_STEP_CRASH, 2, crash_action, NULL, 2);
    fl_world_at(w, 1000000000, FL_STEP_START, 2, restart_action, NULL, 2);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    ck_assert_uint_gt(c.fates[FL_FATE_DROPPED_DOWN], 0);
    ck_assert_uint_eq(c.crashes, 1);
    ck_assert_uint_eq(c.restarts, 1);
    ck_assert(fl_world_node_up(w, 2));
    free_world(w);
}
END_TEST

static void deliver_action(fl_world *w, void *ctx, uint64_t id)
{
    ck_assert_int_eq(fl_world_deliver(w, id), 0);
}

static void tick_action(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_fire_timer(w, (int)node, 0), 0);
}

START_TEST(test_world_scripted_messages_wait_for_the_script)
{
    fl_world *w = echo_world(1, 2, NULL, 1);
    fl_world_advance(w, 1000000);
    /* fire node 1's tick: the start steps run first, then the ping waits in the soup */
    fl_world_exec(w, FL_STEP_TIMEOUT, 1, 0, tick_action, NULL, 1);
    ck_assert_uint_eq(fl_world_steps(w), 3);
    ck_assert_uint_eq(fl_world_in_flight(w), 1);
    const fl_msg *m = fl_world_find_msg(w, 1, 2, "Ping");
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_null(fl_world_find_msg(w, 1, 2, "Pong"));
    ck_assert_ptr_null(fl_world_find_msg(w, 2, 1, NULL));
    fl_world_advance(w, 2000000);
    fl_world_exec(w, FL_STEP_DELIVER, 2, 1, deliver_action, NULL, m->id);
    /* the pong now waits, and nothing else happened by itself */
    ck_assert_uint_eq(fl_world_in_flight(w), 1);
    ck_assert_ptr_nonnull(fl_world_find_msg(w, 2, 1, "Pong"));
    ck_assert_uint_eq(fl_world_steps(w), 4);
    fl_world_finish(w, FL_OUTCOME_OK, NULL);
    ck_assert_int_eq(fl_world_outcome(w), FL_OUTCOME_OK);
    free_world(w);
}
END_TEST

START_TEST(test_world_memory_per_event_message_and_node_is_bounded)
{
    /* issue 2: at most 64 bytes per pending event and per in-flight message (payload
     * aside), at most 1 KiB per node (protocol state and disk contents aside).  A
     * pending event is one 16-byte queue key (core/evq.c). */
    ck_assert_uint_le(sizeof(fl_msg) + sizeof(uint32_t), 64);  /* slab entry + free link */
    ck_assert_uint_le(sizeof(fl_node) + sizeof(char *), 1024); /* + last snapshot pointer */
}
END_TEST

/* A protocol that writes a block, syncs it, and reads it back when the sync is done. */
typedef struct diskp_state {
    int reads, diffs;
} diskp_state;

static const char *const diskp_timers[] = {"t", NULL};

static void diskp_start(fl_node *n, const cJSON *params)
{
    fl_disk_append(n, 0, "0123456789abcdef", 16);
    fl_disk_sync(n, 0);
}

static void diskp_synced(fl_node *n, uint64_t id)
{
    diskp_state *s = fl_state(n);
    char buf[16];
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(fl_disk_read(n, 0, 0, buf, sizeof buf), 16);
        s->reads++;
        s->diffs += memcmp(buf, "0123456789abcdef", 16) != 0;
    }
}

static void diskp_nop_msg(fl_node *n, int from, const void *m, size_t len)
{
}
static void diskp_nop_timer(fl_node *n, int t)
{
}

static const struct fl_protocol diskp = {.api_version = FL_API_VERSION,
                                         .name = "diskp",
                                         .timers = diskp_timers,
                                         .state_size = sizeof(diskp_state),
                                         .start = diskp_start,
                                         .on_message = diskp_nop_msg,
                                         .on_timer = diskp_nop_timer,
                                         .on_synced = diskp_synced};

static int corrupted_reads(double p, int64_t from_ns)
{
    fl_world_config cfg = {.seed = 1,
                           .nodes = 1,
                           .protocol = &diskp,
                           .latency = {1, 2},
                           .disk_sync = {1000, 2000},
                           .corrupt = p,
                           .corrupt_from_ns = from_ns,
                           .until_ns = 1000000,
                           .max_steps = 100};
    char err[128];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    fl_world_run(w);
    const diskp_state *s = fl_cluster_state(fl_world_cluster(w), 1);
    ck_assert_int_eq(s->reads, 100);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    ck_assert_uint_eq(c.corrupt_reads, (uint64_t)s->diffs);
    int diffs = s->diffs;
    fl_world_free(w);
    return diffs;
}

START_TEST(test_world_corrupt_reads_flip_synced_bytes_inside_the_window)
{
    ck_assert_int_eq(corrupted_reads(0.0, 0), 0);
    ck_assert_int_eq(corrupted_reads(1.0, 0), 100);
    int some = corrupted_reads(0.3, 0);
    ck_assert(some > 10 && some < 60);
    ck_assert_int_eq(corrupted_reads(1.0, 500000000), 0); /* before the window */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("world");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_world_same_seed_same_digest);
    tcase_add_test(tc, test_world_different_seeds_differ);
    tcase_add_test(tc, test_world_two_worlds_interleaved_do_not_interfere);
    tcase_add_test(tc, test_world_counts_add_up);
    tcase_add_test(tc, test_world_check_violation_stops_run);
    tcase_add_test(tc, test_world_max_steps_is_limit);
    tcase_add_test(tc, test_world_messages_to_a_down_node_are_dropped_down);
    tcase_add_test(tc, test_world_scripted_messages_wait_for_the_script);
    tcase_add_test(tc, test_world_memory_per_event_message_and_node_is_bounded);
    tcase_add_test(tc, test_world_corrupt_reads_flip_synced_bytes_inside_the_window);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)

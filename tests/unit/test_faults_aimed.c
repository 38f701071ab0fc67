/* test_faults_aimed.c -- aimed faults (issue 16): selectors bound when an entry fires, the
 * resolved target written back as a plain node, isolate partitions, sync crashes just
 * before and just after a sync, and the aimed kinds of the nemesis, which move none of
 * the plain kinds' faults. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "faults/schedule_int.h"
#include "faults_fixture.h"

/* ---- a protocol with roles: params {"leader": L} makes node L the leader (0: none) ---- */

typedef struct rp_state {
    int leader, syncs_done;
} rp_state;

static void rp_start(fl_node *n, const cJSON *params)
{
    rp_state *s = fl_state(n);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(params, "leader");
    s->leader = cJSON_IsNumber(l) ? l->valueint : 0;
    fl_timer_set(n, 0, 10 * MS);
}

static void rp_on_timer(fl_node *n, int timer)
{
    (void)timer;
    uint8_t b = 1;
    fl_disk_append(n, 0, &b, 1); /* every node writes and syncs every 10 ms */
    fl_disk_sync(n, 0);
    fl_timer_set(n, 0, 10 * MS);
}

static void rp_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

static void rp_on_synced(fl_node *n, uint64_t id)
{
    (void)id;
    ((rp_state *)fl_state(n))->syncs_done++;
}

static cJSON *rp_snapshot(const fl_node *n)
{
    const rp_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "role", s->leader == fl_node_id(n) ? "leader" : "follower");
    cJSON_AddNumberToObject(j, "term", 1);
    cJSON_AddNumberToObject(j, "syncs_done", s->syncs_done);
    return j;
}

static const char *const rp_timers[] = {"tick", NULL};
static const struct fl_protocol rp = {.api_version = FL_API_VERSION,
                                      .name = "rp",
                                      .timers = rp_timers,
                                      .state_size = sizeof(rp_state),
                                      .start = rp_start,
                                      .on_message = rp_on_message,
                                      .on_timer = rp_on_timer,
                                      .on_synced = rp_on_synced,
                                      .snapshot = rp_snapshot};

static cJSON *rp_params;

static fl_world *rp_world(int leader, int nodes)
{
    char buf[64];
    snprintf(buf, sizeof buf, "{\"leader\": %d}", leader);
    cJSON_Delete(rp_params);
    rp_params = cJSON_Parse(buf);
    fl_world_config cfg = {.seed = 5,
                           .nodes = nodes,
                           .protocol = &rp,
                           .params = rp_params,
                           .latency = {1 * MS, 2 * MS},
                           .disk_sync = {1 * MS, 3 * MS},
                           .unsynced = FL_UNSYNCED_LOSE,
                           .until_ns = 1 * SEC,
                           .max_steps = 1000000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    return w;
}

/* The spec of every row, one per line. */
static void add_spec(void *ctx, const fl_faults_row *row)
{
    fl_sbuf *b = ctx;
    fl_sbuf_putf(b, "%s|%d|%d\n", row->spec, row->reached, row->took_effect);
}

static char *rows_of(const fl_faults *f)
{
    fl_sbuf b = {0};
    ck_assert_int_eq(fl_faults_each(f, add_spec, &b), 0);
    return b.buf;
}

typedef struct run {
    fl_world *w;
    fl_schedule *s;
    fl_faults *f;
    rec r;
    char *rows;
} run;

static void run_schedule(run *x, int leader, int nodes, const char *text)
{
    x->w = rp_world(leader, nodes);
    rec_attach(&x->r, x->w);
    x->s = parse_for(x->w, text, 1 * SEC);
    x->f = attach(x->w, x->s, NULL, NULL);
    fl_world_run(x->w);
    x->rows = rows_of(x->f);
}

static void run_free(run *x)
{
    fl_world_free(x->w);
    fl_faults_free(x->f);
    fl_schedule_free(x->s);
    rec_free(&x->r);
    free(x->rows);
}

/* ---- selectors ---- */

START_TEST(test_aimed_leader_selector_crashes_the_leader_and_writes_it_plainly)
{
    run x;
    run_schedule(&x, 2, 3,
                 "[{\"at\":\"100ms\",\"kind\":\"crash\",\"node\":{\"select\":\"leader\"}},"
                 "{\"at\":\"200ms\",\"kind\":\"restart\",\"node\":{\"select\":\"entry\","
                 "\"entry\":1}}]");
    const rstep *c = find_step(&x.r, FL_STEP_CRASH, -1);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->node, 2); /* the step names the node it struck */
    ck_assert_ptr_nonnull(find_step(&x.r, FL_STEP_START, 2));
    ck_assert_msg(strstr(x.rows, "{\"at_ns\":100000000,\"kind\":\"crash\",\"node\":2,"
                                 "\"selected\":\"leader\"}|1|1\n") != NULL,
                  "%s", x.rows);
    ck_assert_msg(strstr(x.rows, "\"kind\":\"restart\",\"node\":2,\"selected\":\"entry\"}|1|1") !=
                      NULL,
                  "%s", x.rows);
    run_free(&x);
}
END_TEST

START_TEST(test_aimed_selector_without_a_target_is_reached_and_takes_no_effect)
{
    run x;
    run_schedule(&x, 0, 3, /* nobody is leader */
                 "[{\"at\":\"100ms\",\"kind\":\"crash\",\"node\":{\"select\":\"leader\"}},"
                 "{\"at\":\"200ms\",\"kind\":\"restart\",\"node\":{\"select\":\"entry\","
                 "\"entry\":1}}]");
    ck_assert_ptr_null(find_step(&x.r, FL_STEP_CRASH, 1));
    const rstep *c = find_step(&x.r, FL_STEP_CRASH, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->detail, "crash: no leader node");
    /* unresolved, the entries stay as planned: a replay binds them the same way */
    ck_assert_msg(strstr(x.rows, "\"node\":{\"select\":\"leader\"}}|1|0") != NULL, "%s", x.rows);
    ck_assert_msg(strstr(x.rows, "\"node\":{\"select\":\"entry\",\"entry\":1}}|1|0") != NULL, "%s",
                  x.rows);
    fl_faults_stats st;
    fl_faults_stats_get(x.f, &st);
    ck_assert_int_eq(st.reached[FL_FAULT_CRASH], 1);
    ck_assert_int_eq(st.effective[FL_FAULT_CRASH], 0);
    run_free(&x);
}
END_TEST

START_TEST(test_aimed_follower_and_random_up_pick_matching_nodes)
{
    run x;
    run_schedule(&x, 2, 5,
                 "[{\"at\":\"100ms\",\"kind\":\"timeout\",\"node\":{\"select\":\"follower\"}},"
                 "{\"at\":\"150ms\",\"kind\":\"crash\",\"node\":1},"
                 "{\"at\":\"200ms\",\"kind\":\"timeout\",\"node\":{\"select\":\"random-up\"}},"
                 "{\"at\":\"300ms\",\"kind\":\"timeout\",\"node\":{\"select\":\"last-leader\"}}]");
    for (size_t i = 0; i < x.r.nsteps; i++) {
        const rstep *s = &x.r.steps[i];
        if (s->kind != FL_STEP_TIMEOUT)
            continue;
        if (s->time_ns == 100 * MS)
            ck_assert(s->node != 2 && s->node >= 1 && s->node <= 5);
        if (s->time_ns == 200 * MS)
            ck_assert(s->node >= 2 && s->node <= 5); /* node 1 is down */
        if (s->time_ns == 300 * MS)
            ck_assert_int_eq(s->node, 2);
    }
    run_free(&x);
}
END_TEST

START_TEST(test_aimed_isolate_builds_the_partition_around_the_leader)
{
    run x;
    run_schedule(&x, 3, 5,
                 "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"lead\","
                 "\"isolate\":{\"select\":\"leader\"},\"with\":1},{\"at\":\"300ms\",\"kind\":"
                 "\"heal\"}]");
    const char *row = strstr(x.rows, "\"kind\":\"partition\",\"name\":\"lead\",\"groups\":[[");
    ck_assert_msg(row != NULL, "%s", x.rows);
    ck_assert_msg(strstr(row, "\"selected\":\"leader\"}|1|1") != NULL, "%s", x.rows);
    /* the leader's group has two nodes, one of them 3 */
    int a = 0, b = 0;
    ck_assert_int_eq(sscanf(row + strlen("\"kind\":\"partition\",\"name\":\"lead\",\"groups\":[["),
                            "%d,%d]", &a, &b),
                     2);
    ck_assert(a == 3 || b == 3);
    run_free(&x);
}
END_TEST

/* ---- sync crashes ---- */

static void sync_crash(const char *when, int *crash_before_synced, int64_t *crash_ns)
{
    char text[256];
    snprintf(text, sizeof text,
             "[{\"at\":\"100ms\",\"kind\":\"crash\",\"node\":2,\"sync\":\"%s\",\"within_ns\":"
             "50000000},{\"at\":\"400ms\",\"kind\":\"restart\",\"node\":2}]",
             when);
    run x;
    run_schedule(&x, 2, 3, text);
    const rstep *c = find_step(&x.r, FL_STEP_CRASH, 2);
    ck_assert_ptr_nonnull(c);
    *crash_ns = c->time_ns;
    ck_assert(c->time_ns > 100 * MS && c->time_ns <= 150 * MS);
    /* the synced step of node 2 next to the crash: at the crash time + 1 (before) or
     * at the crash time, just before it (after) */
    *crash_before_synced = -1;
    for (size_t i = 0; i < x.r.nsteps; i++) {
        const rstep *s = &x.r.steps[i];
        if (s->kind == FL_STEP_SYNCED && s->node == 2 && s->time_ns == c->time_ns)
            *crash_before_synced = s < c ? 0 : 1;
    }
    ck_assert_msg(strstr(x.rows, "\"sync_id\":") != NULL, "%s", x.rows); /* the sync it struck */
    run_free(&x);
}

START_TEST(test_aimed_sync_crash_after_follows_the_synced_step)
{
    int before;
    int64_t at;
    sync_crash("after", &before, &at);
    ck_assert_int_eq(before, 0); /* the synced step came first, at the same time */
}
END_TEST

START_TEST(test_aimed_sync_crash_before_loses_the_sync)
{
    int before;
    int64_t at;
    sync_crash("before", &before, &at);
    ck_assert_int_eq(before, -1); /* the sync never completed: the crash discarded it */
}
END_TEST

START_TEST(test_aimed_sync_crash_without_a_sync_is_reached_without_effect)
{
    run x;
    run_schedule(&x, 2, 3, /* node 3 crashed at 50 ms: it never syncs in the window */
                 "[{\"at\":\"50ms\",\"kind\":\"crash\",\"node\":3},{\"at\":\"100ms\",\"kind\":"
                 "\"crash\",\"node\":3,\"sync\":\"before\",\"within_ns\":50000000}]");
    ck_assert_msg(strstr(x.rows, "\"sync\":\"before\",\"within_ns\":50000000}|1|0") != NULL, "%s",
                  x.rows);
    run_free(&x);
}
END_TEST

/* ---- the schedule text ---- */

START_TEST(test_aimed_entries_round_trip)
{
    const char *text =
        "[\n"
        "{\"at_ns\":1,\"kind\":\"crash\",\"node\":{\"select\":\"leader\"},\"tag\":\"leader_crash\"}"
        ",\n"
        "{\"at_ns\":2,\"kind\":\"partition\",\"name\":\"x\",\"isolate\":{\"select\":\"entry\","
        "\"entry\":1},\"with\":1},\n"
        "{\"at_ns\":3,\"kind\":\"restart\",\"node\":{\"select\":\"entry\",\"entry\":1}},\n"
        "{\"at_ns\":4,\"kind\":\"crash\",\"node\":3,\"sync\":\"after\",\"within_ns\":9,\"sync_id\":"
        "4,\"selected\":\"random-up\"},\n"
        "{\"at_ns\":5,\"kind\":\"timeout\",\"node\":{\"select\":\"last-leader\"},\"timer\":\"t\"},"
        "\n"
        "{\"at_ns\":6,\"kind\":\"heal\",\"tag\":\"storm\"}\n"
        "]\n";
    fl_schedule *s;
    char err[256];
    ck_assert_msg(fl_schedule_parse(text, strlen(text), 5, 10, &s, err, sizeof err) == 0, "%s",
                  err);
    char *back = fl_schedule_to_text(s);
    ck_assert_str_eq(back, text);
    free(back);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_aimed_parse_errors_name_entry_and_field)
{
    static const char *const cases[][2] = {
        {"[{\"at_ns\":1,\"kind\":\"crash\",\"node\":{\"select\":\"boss\"}}]",
         "schedule[1].node.select: expected \"leader\", \"follower\", \"random-up\", "
         "\"last-leader\" or \"entry\", got \"boss\""},
        {"[{\"at_ns\":1,\"kind\":\"crash\",\"node\":{\"select\":\"entry\",\"entry\":1}}]",
         "schedule[1].node.entry: expected an earlier entry's number in [1,0], got 1"},
        {"[{\"at_ns\":1,\"kind\":\"heal\"},{\"at_ns\":2,\"kind\":\"restart\",\"node\":"
         "{\"select\":\"entry\",\"entry\":1}}]",
         "schedule[2].node: entry 1 is a heal: it acts on no node"},
        {"[{\"at_ns\":1,\"kind\":\"crash\",\"node\":{\"select\":\"leader\",\"x\":1}}]",
         "schedule[1].node.x: unknown key for a selector (expected select, entry)"},
        {"[{\"at_ns\":1,\"kind\":\"crash\",\"node\":2,\"sync\":\"during\"}]",
         "schedule[1].sync: expected \"before\" or \"after\", got \"during\""},
        {"[{\"at_ns\":1,\"kind\":\"crash\",\"node\":2,\"within_ns\":5}]",
         "schedule[1].within_ns: only a sync crash (\"sync\") waits within a time"},
        {"[{\"at_ns\":1,\"kind\":\"partition\",\"isolate\":2,\"with\":2}]",
         "schedule[1].with: expected how many other nodes join it, in [0,1], got 2"},
        {"[{\"at_ns\":1,\"kind\":\"partition\",\"isolate\":2,\"groups\":[[1,2,3]]}]",
         "schedule[1].isolate: give either \"isolate\" or \"groups\", not both"},
        {"[{\"at_ns\":1,\"kind\":\"crash\",\"node\":{\"select\":\"leader\"},\"selected\":"
         "\"leader\"}]",
         "schedule[1].selected: a resolved entry names its target plainly (no selector with it)"},
        {"[{\"at_ns\":1,\"kind\":\"timeout\",\"node\":2,\"sync\":\"after\"}]",
         "schedule[1].sync: unknown key for a timeout entry"},
        {"[{\"at_ns\":1,\"kind\":\"heal\",\"tag\":\"a b\"}]",
         "schedule[1].tag: expected a name of 1-31 letters, digits, '_', '-' or '.', got \"a b\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fl_schedule *s = NULL;
        char err[256];
        int rc = fl_schedule_parse(cases[i][0], strlen(cases[i][0]), 3, 10, &s, err, sizeof err);
        ck_assert_msg(rc == FL_EINVAL, "case %zu: rc %d", i, rc);
        ck_assert_msg(strcmp(err, cases[i][1]) == 0, "case %zu: got   %s\nwanted %s", i, err,
                      cases[i][1]);
        ck_assert_ptr_null(s);
    }
}
END_TEST

/* Resolved entries skip the up/down checks: a crash that met a node another fault had
 * taken down replays as written. */
START_TEST(test_aimed_selected_entries_skip_up_down_checks)
{
    const char *text = "[{\"at_ns\":1,\"kind\":\"crash\",\"node\":2},"
                       "{\"at_ns\":2,\"kind\":\"crash\",\"node\":2,\"selected\":\"leader\"},"
                       "{\"at_ns\":3,\"kind\":\"restart\",\"node\":2}]";
    fl_schedule *s;
    char err[256];
    ck_assert_msg(fl_schedule_parse(text, strlen(text), 3, 10, &s, err, sizeof err) == 0, "%s",
                  err);
    fl_schedule_free(s);
}
END_TEST

/* ---- the aimed kinds of the nemesis ---- */

static fl_faults_config plain_cfg(void)
{
    fl_faults_config c = {.window_from_ns = 500 * MS, .window_to_ns = 20 * SEC};
    c.partition_every_ns = 2 * SEC, c.partition_duration_ns = 500 * MS;
    c.partition_kinds = (1u << FL_PART_KIND_COUNT) - 1;
    c.crash_every_ns = 1 * SEC, c.crash_down_ns = 100 * MS;
    c.timeout_every_ns = 500 * MS;
    return c;
}

static fl_faults_config aimed_cfg(void)
{
    fl_faults_config c = plain_cfg();
    c.leader_crash_every_ns = 1 * SEC, c.leader_crash_down_ns = 100 * MS;
    c.sync_crash_every_ns = 1 * SEC, c.sync_crash_down_ns = 100 * MS;
    c.sync_crash_within_ns = 500 * MS;
    c.leader_partition_every_ns = 2 * SEC, c.leader_partition_duration_ns = 500 * MS;
    c.restart_partitioned_every_ns = 2 * SEC, c.restart_partitioned_down_ns = 100 * MS;
    c.restart_partitioned_duration_ns = 300 * MS;
    c.storm_every_ns = 1 * SEC, c.storm_spread_ns = 50 * MS;
    return c;
}

static fl_schedule *generate(const fl_faults_config *c, int nodes, uint64_t seed)
{
    fl_schedule *s;
    char err[256];
    ck_assert_msg(fl_schedule_generate(c, nodes, seed, 30 * SEC, &s, err, sizeof err) == 0, "%s",
                  err);
    return s;
}

START_TEST(test_aimed_kinds_move_no_plain_fault)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fl_faults_config p = plain_cfg(), a = aimed_cfg();
        fl_schedule *plain = generate(&p, 5, seed), *aimed = generate(&a, 5, seed);
        /* the plain schedule is a subsequence of the aimed one; what lies between is
         * aimed (a selector, an isolate, a tag, a sync) or one of their heals */
        size_t j = 0, tagged = 0;
        for (size_t i = 0; i < fl_schedule_len(aimed); i++) {
            const fl_fault *e = fl_schedule_entry(aimed, i);
            tagged += e->tag[0] != '\0';
            char *x = fl_schedule_entry_text(aimed, i);
            char *y = j < fl_schedule_len(plain) ? fl_schedule_entry_text(plain, j) : NULL;
            if (y && strcmp(x, y) == 0)
                j++;
            else
                ck_assert_msg(e->select || e->isolate || e->tag[0] || e->sync ||
                                  e->kind == FL_FAULT_HEAL,
                              "seed %llu: %s is neither aimed nor %s", (unsigned long long)seed, x,
                              y ? y : "(end)");
            free(x), free(y);
        }
        ck_assert_uint_eq(j, fl_schedule_len(plain));
        ck_assert_uint_gt(tagged, 10);
        ck_assert_int_ge(fl_schedule_quiet_since(aimed, 20 * SEC), 20 * SEC);
        fl_schedule_free(plain);
        fl_schedule_free(aimed);
    }
}
END_TEST

START_TEST(test_aimed_kinds_are_well_formed)
{
    fl_faults_config a = aimed_cfg();
    fl_schedule *s = generate(&a, 5, 7);
    int64_t last = 0;
    size_t counts[5] = {0};
    static const char *const tags[5] = {"leader_crash", "sync_crash", "leader_partition",
                                        "restart_partitioned", "storm"};
    for (size_t i = 0; i < fl_schedule_len(s); i++) {
        const fl_fault *e = fl_schedule_entry(s, i);
        ck_assert_int_ge(e->at_ns, last);
        last = e->at_ns;
        ck_assert_int_le(e->at_ns, 20 * SEC);
        for (int t = 0; t < 5; t++)
            counts[t] += strcmp(e->tag, tags[t]) == 0;
        if (e->select == FL_SELECT_ENTRY) { /* follows an earlier crash */
            ck_assert_uint_lt(e->select_entry, i + 1);
            ck_assert_int_eq(fl_schedule_entry(s, e->select_entry - 1)->kind, FL_FAULT_CRASH);
        }
        if (e->sync)
            ck_assert(e->within_ns >= 1 && e->at_ns + e->within_ns < 20 * SEC);
        if (e->isolate)
            ck_assert_int_le(e->with, 1); /* 5 nodes: the target and at most one other */
    }
    for (int t = 0; t < 5; t++)
        ck_assert_msg(counts[t] > 0, "%s", tags[t]);
    /* written out and read back, it is the same schedule */
    char *text = fl_schedule_to_text(s);
    fl_schedule *back;
    char err[256];
    ck_assert_msg(fl_schedule_parse(text, strlen(text), 5, 30 * SEC, &back, err, sizeof err) == 0,
                  "%s", err);
    char *again = fl_schedule_to_text(back);
    ck_assert_str_eq(text, again);
    free(text), free(again);
    fl_schedule_free(back);
    fl_schedule_free(s);
}
END_TEST

static Suite *aimed_suite(void)
{
    Suite *s = suite_create("faults_aimed");
    TCase *tc = tcase_create("aimed");
    tcase_add_test(tc, test_aimed_leader_selector_crashes_the_leader_and_writes_it_plainly);
    tcase_add_test(tc, test_aimed_selector_without_a_target_is_reached_and_takes_no_effect);
    tcase_add_test(tc, test_aimed_follower_and_random_up_pick_matching_nodes);
    tcase_add_test(tc, test_aimed_isolate_builds_the_partition_around_the_leader);
    tcase_add_test(tc, test_aimed_sync_crash_after_follows_the_synced_step);
    tcase_add_test(tc, test_aimed_sync_crash_before_loses_the_sync);
    tcase_add_test(tc, test_aimed_sync_crash_without_a_sync_is_reached_without_effect);
    tcase_add_test(tc, test_aimed_entries_round_trip);
    tcase_add_test(tc, test_aimed_parse_errors_name_entry_and_field);
    tcase_add_test(tc, test_aimed_selected_entries_skip_up_down_checks);
    tcase_add_test(tc, test_aimed_kinds_move_no_plain_fault);
    tcase_add_test(tc, test_aimed_kinds_are_well_formed);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(aimed_suite)

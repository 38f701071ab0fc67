/* test_faults.c -- applying faults to a running world: every fault kind happening and
 * its effect visible in the run (drops, duplicates, delays, partitions at send and in
 * flight, crashes with keep / lose / tear disks, forced timeouts, clock drift, fifo
 * links), the account of what took effect, and schedules that reproduce a run.
 *
 * The protocol under test is `tp`, defined here so that these tests depend on nothing
 * but the engine: every 10 ms a node pings the next peer round-robin; pings are
 * answered with pongs; client ops write ("w<N>": N pattern bytes) or sync ("s") the
 * disk; at boot a node reads its disk back and checks that it is a prefix of the
 * pattern. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/faultline.h"
#include "core/world.h"
#include "faults/apply.h"
#include "faults/schedule.h"
#include "sim/scenario.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

/* ---- the test protocol ---- */

static const char *const tp_timers[] = {"tick", "other", NULL};

typedef struct tp_state {
    int64_t ticks, others, recv, disk_at_boot;
    int prefix_ok, rr;
} tp_state;

static unsigned char pattern(int64_t off)
{
    return (unsigned char)(off % 251);
}

static void tp_start(fl_node *n, const cJSON *params)
{
    tp_state *s = fl_state(n);
    s->disk_at_boot = fl_disk_size(n, 0);
    s->prefix_ok = 1;
    unsigned char buf[512];
    for (int64_t off = 0; off < s->disk_at_boot; off += (int64_t)sizeof buf) {
        int64_t got = fl_disk_read(n, 0, off, buf, sizeof buf);
        for (int64_t i = 0; i < got; i++)
            s->prefix_ok &= buf[i] == pattern(off + i);
    }
    fl_timer_set(n, 0, 10 * MS);
}

static void tp_on_timer(fl_node *n, int timer)
{
    tp_state *s = fl_state(n);
    if (timer == 1) {
        s->others++;
        return;
    }
    s->ticks++;
    int nodes = fl_cluster_size(n), me = fl_node_id(n);
    if (nodes > 1) {
        int to = (me - 1 + 1 + s->rr++ % (nodes - 1)) % nodes + 1;
        fl_send(n, to, "P", 1);
    }
    fl_timer_set(n, 0, 10 * MS);
}

static void tp_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    tp_state *s = fl_state(n);
    s->recv++;
    if (len == 1 && *(const char *)msg == 'P')
        fl_send(n, from, "A", 1);
}

static void tp_on_client(fl_node *n, const void *op, size_t len)
{
    const char *o = op;
    if (len >= 1 && o[0] == 's') {
        fl_disk_sync(n, 0);
        return;
    }
    int count = atoi(o + 1);
    int64_t off = fl_disk_size(n, 0);
    unsigned char buf[1024];
    for (int i = 0; i < count && i < (int)sizeof buf; i++)
        buf[i] = pattern(off + i);
    fl_disk_append(n, 0, buf, (size_t)count);
}

static cJSON *tp_snapshot(const fl_node *n)
{
    const tp_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "ticks", (double)s->ticks);
    cJSON_AddNumberToObject(j, "others", (double)s->others);
    cJSON_AddNumberToObject(j, "recv", (double)s->recv);
    cJSON_AddNumberToObject(j, "disk_at_boot", (double)s->disk_at_boot);
    cJSON_AddBoolToObject(j, "prefix_ok", s->prefix_ok);
    return j;
}

static const char *tp_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", len == 1 && *(const char *)msg == 'P' ? "Ping" : "Pong");
    return buf;
}

static const struct fl_protocol tp = {
    .api_version = FL_API_VERSION,
    .name = "tp",
    .timers = tp_timers,
    .state_size = sizeof(tp_state),
    .start = tp_start,
    .on_message = tp_on_message,
    .on_timer = tp_on_timer,
    .on_client = tp_on_client,
    .snapshot = tp_snapshot,
    .describe = tp_describe,
};

/* ---- a recorder of what happened ---- */

typedef struct rmsg {
    int src, dst, fate;
    int64_t sent_ns, end_ns; /* end: when its fate was decided */
} rmsg;

typedef struct rstep {
    int kind, node;
    int64_t time_ns;
    char detail[160];
} rstep;

typedef struct rec {
    rmsg *msgs; /* by id - 1 */
    size_t nmsgs;
    rstep *steps;
    size_t nsteps;
    int64_t now_ns;
} rec;

static void rec_step_begin(void *ctx, const fl_step_info *s)
{
    ((rec *)ctx)->now_ns = s->time_ns;
}

static void rec_step_end(void *ctx, const fl_step_info *s)
{
    rec *r = ctx;
    r->steps = realloc(r->steps, (r->nsteps + 1) * sizeof *r->steps);
    rstep *st = &r->steps[r->nsteps++];
    st->kind = s->kind;
    st->node = s->node;
    st->time_ns = s->time_ns;
    snprintf(st->detail, sizeof st->detail, "%s", s->detail);
}

static void rec_send(void *ctx, const fl_msg *m, const char *desc)
{
    rec *r = ctx;
    ck_assert_uint_eq(m->id, r->nmsgs + 1);
    r->msgs = realloc(r->msgs, (r->nmsgs + 1) * sizeof *r->msgs);
    r->msgs[r->nmsgs++] = (rmsg){m->src, m->dst, FL_FATE_IN_FLIGHT, m->sent_ns, -1};
}

static void rec_fate(void *ctx, const fl_msg *m, uint64_t step)
{
    rec *r = ctx;
    r->msgs[m->id - 1].fate = m->fate;
    r->msgs[m->id - 1].end_ns = r->now_ns;
}

static void rec_attach(rec *r, fl_world *w)
{
    memset(r, 0, sizeof *r);
    fl_world_hooks h = {.ctx = r,
                        .on_step_begin = rec_step_begin,
                        .on_step_end = rec_step_end,
                        .on_send = rec_send,
                        .on_fate = rec_fate};
    ck_assert_int_eq(fl_world_add_hooks(w, &h), 0);
}

static void rec_free(rec *r)
{
    free(r->msgs);
    free(r->steps);
}

static const rstep *find_step(const rec *r, int kind, int node)
{
    for (size_t i = 0; i < r->nsteps; i++)
        if (r->steps[i].kind == kind && (node < 0 || r->steps[i].node == node))
            return &r->steps[i];
    return NULL;
}

/* ---- fixtures ---- */

static fl_world *tp_world(uint64_t seed, int nodes, int64_t until_ns, int unsynced, fl_latency lat)
{
    fl_world_config cfg = {.seed = seed,
                           .nodes = nodes,
                           .protocol = &tp,
                           .latency = lat,
                           .disk_sync = {1 * MS, 1 * MS},
                           .unsynced = unsynced,
                           .until_ns = until_ns,
                           .max_steps = 10000000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    return w;
}

static fl_schedule *parse_for(fl_world *w, const char *text, int64_t until_ns)
{
    fl_schedule *s;
    char err[256];
    int rc =
        fl_schedule_parse(text, strlen(text), fl_world_nodes(w), until_ns, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    return s;
}

static fl_faults *attach(fl_world *w, const fl_schedule *s, const fl_faults_config *cfg,
                         const fl_net_faults *net)
{
    char err[256];
    fl_faults *f = fl_faults_attach(w, s, cfg, net, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    return f;
}

static int64_t metric_value;
static const char *metric_name;
static void metric_cb(void *ctx, const char *name, int64_t v)
{
    if (strcmp(name, metric_name) == 0)
        *(int64_t *)ctx = v;
}
static int64_t metric(const fl_world *w, const char *name)
{
    metric_value = -1;
    metric_name = name;
    fl_world_metrics_each(w, metric_cb, &metric_value);
    return metric_value;
}

static int64_t snap_int(fl_world *w, int node, const char *key)
{
    cJSON *j = fl_world_snapshot(w, node);
    ck_assert_ptr_nonnull(j);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    ck_assert_ptr_nonnull(v);
    int64_t x = cJSON_IsBool(v) ? cJSON_IsTrue(v) : (int64_t)v->valuedouble;
    cJSON_Delete(j);
    return x;
}

static int between_1_and_others(const rmsg *m)
{
    return (m->src == 1) != (m->dst == 1);
}

static void client_action(fl_world *w, void *ctx, uint64_t node)
{
    const char *op = ctx;
    ck_assert_int_eq(fl_world_client(w, (int)node, op, strlen(op)), 0);
}

/* ---- per-message faults ---- */

START_TEST(test_faults_dropped_message_is_never_delivered)
{
    fl_world *w = tp_world(1, 3, 400 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_faults_config cfg = {.window_from_ns = 100 * MS, .window_to_ns = 200 * MS};
    fl_net_faults net = {.drop = 1.0};
    fl_faults *f = attach(w, NULL, &cfg, &net);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    uint64_t dropped = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        int inside = m->sent_ns >= 100 * MS && m->sent_ns < 200 * MS;
        if (inside) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_LOSS);
            ck_assert_int_eq(m->end_ns, m->sent_ns); /* dropped at send: never arrives */
            dropped++;
        } else {
            ck_assert_int_ne(m->fate, FL_FATE_DROPPED_LOSS);
        }
    }
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_gt(dropped, 20);
    ck_assert_uint_eq(st.effective[FL_FAULT_DROP], dropped);
    ck_assert_int_eq(metric(w, "faults.drop.effective"), (int64_t)dropped);
    ck_assert_int_eq(metric(w, "faults.drop.scheduled"), (int64_t)dropped);
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_duplicate_delivers_twice)
{
    fl_world *w = tp_world(2, 3, 300 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_net_faults net = {.duplicate = 1.0};
    fl_faults *f = attach(w, NULL, NULL, &net);
    fl_world_run(w);
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    ck_assert_uint_gt(st.effective[FL_FAULT_DUPLICATE], 50);
    ck_assert_uint_eq(c.sent, 2 * st.effective[FL_FAULT_DUPLICATE]);
    /* every ping delivered twice is answered twice: receivers saw both copies */
    int64_t recv = snap_int(w, 1, "recv") + snap_int(w, 2, "recv") + snap_int(w, 3, "recv");
    ck_assert_int_eq(recv, (int64_t)c.fates[FL_FATE_DELIVERED]);
    fl_world_free(w);
    fl_faults_free(f);
}
END_TEST

START_TEST(test_faults_spike_delays_messages_inside_window)
{
    fl_world *w = tp_world(3, 3, 1 * SEC, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 1 * MS});
    rec r;
    rec_attach(&r, w);
    fl_faults_config cfg = {.window_from_ns = 0, .window_to_ns = 200 * MS};
    fl_net_faults net = {.spike = 1.0, .spike_delay = {300 * MS, 300 * MS}};
    fl_faults *f = attach(w, NULL, &cfg, &net);
    fl_world_run(w);
    int late = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->fate != FL_FATE_DELIVERED)
            continue;
        int64_t took = m->end_ns - m->sent_ns;
        if (m->sent_ns < 200 * MS) {
            ck_assert_int_eq(took, 301 * MS);
            late++;
        } else {
            ck_assert_int_eq(took, 1 * MS);
        }
    }
    ck_assert_int_gt(late, 10);
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_fifo_links_never_reorder)
{
    fl_world *w = tp_world(4, 3, 2 * SEC, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 60 * MS});
    rec r;
    rec_attach(&r, w);
    fl_net_faults net = {.fifo = 1, .duplicate = 0.5};
    fl_faults *f = attach(w, NULL, NULL, &net);
    fl_world_run(w);
    /* per directed link, arrival times never decrease with the send order */
    for (int a = 1; a <= 3; a++)
        for (int b = 1; b <= 3; b++) {
            int64_t last = -1;
            for (size_t i = 0; i < r.nmsgs; i++) {
                const rmsg *m = &r.msgs[i];
                if (m->src != a || m->dst != b || m->fate != FL_FATE_DELIVERED)
                    continue;
                ck_assert_msg(m->end_ns >= last, "link %d->%d: msg %zu overtook", a, b, i + 1);
                last = m->end_ns;
            }
        }
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_eq(st.effective[FL_FAULT_DUPLICATE], 0); /* a stream never duplicates */
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

/* ---- partitions ---- */

START_TEST(test_faults_partitioned_pair_exchanges_nothing_while_cut)
{
    fl_world *w = tp_world(5, 3, 500 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"isolate\","
                               "\"groups\":[[1],[2,3]]},{\"at\":\"300ms\",\"kind\":\"heal\"}]",
                               500 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int cut = 0, inside_23 = 0, after = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        int during = m->end_ns >= 100 * MS && m->end_ns < 300 * MS;
        if (between_1_and_others(m) && during) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_PARTITION);
            cut++;
        } else if (during && m->fate == FL_FATE_DELIVERED) {
            inside_23++;
        }
        if (between_1_and_others(m) && m->sent_ns >= 300 * MS && m->fate == FL_FATE_DELIVERED)
            after++;
    }
    ck_assert_int_gt(cut, 20);
    ck_assert_int_gt(inside_23, 20); /* the majority side keeps talking */
    ck_assert_int_gt(after, 20);     /* and node 1 is back after the heal */
    ck_assert(fl_faults_took_effect(f, 0) && fl_faults_took_effect(f, 1));
    ck_assert_str_eq(find_step(&r, FL_STEP_PARTITION, -1)->detail,
                     "partition(isolate) {1} | {2,3}");
    ck_assert_int_eq(find_step(&r, FL_STEP_PARTITION, -1)->time_ns, 100 * MS);
    ck_assert_str_eq(find_step(&r, FL_STEP_HEAL, -1)->detail, "heal");
    ck_assert_int_eq(metric(w, "faults.partition.effective"), 1);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_partition_drops_messages_in_flight)
{
    /* 50 ms links; a 10 ms partition catches messages on the wire that arrive after the
     * heal: the link went down under them. */
    fl_world *w = tp_world(6, 3, 400 * MS, FL_UNSYNCED_KEEP, (fl_latency){50 * MS, 50 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"isolate\","
                               "\"groups\":[[1],[2,3]]},{\"at\":\"110ms\",\"kind\":\"heal\"}]",
                               400 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int caught = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (!between_1_and_others(m))
            continue;
        if (m->sent_ns > 50 * MS && m->sent_ns < 100 * MS) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_PARTITION);
            ck_assert_int_ge(m->end_ns, 110 * MS); /* decided at arrival, after the heal */
            caught++;
        }
        if (m->sent_ns >= 110 * MS && m->end_ns < 400 * MS)
            ck_assert_int_eq(m->fate, FL_FATE_DELIVERED);
    }
    ck_assert_int_gt(caught, 5);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_oneway_partition_passes_one_direction)
{
    fl_world *w = tp_world(7, 3, 400 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"oneway\","
                               "\"groups\":[[1],[2,3]],\"allow\":[[0,1]]},"
                               "{\"at\":\"300ms\",\"kind\":\"heal\"}]",
                               400 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int out = 0, in = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->sent_ns < 110 * MS || m->end_ns >= 300 * MS || !between_1_and_others(m))
            continue;
        if (m->src == 1) {
            ck_assert_int_eq(m->fate, FL_FATE_DELIVERED);
            out++;
        } else {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_PARTITION);
            in++;
        }
    }
    ck_assert_int_gt(out, 5);
    ck_assert_int_gt(in, 5);
    ck_assert_str_eq(find_step(&r, FL_STEP_PARTITION, -1)->detail,
                     "partition(oneway) {1} | {2,3} allow 0->1");
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

/* ---- crashes, disks ---- */

START_TEST(test_faults_crashed_node_is_idle_until_restart)
{
    fl_world *w = tp_world(8, 3, 500 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"crash\",\"node\":2},"
                               "{\"at\":\"300ms\",\"kind\":\"restart\",\"node\":2}]",
                               500 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int down_drops = 0, sent_after = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->src == 2)
            ck_assert(m->sent_ns <= 100 * MS || m->sent_ns >= 300 * MS);
        if (m->src == 2 && m->sent_ns >= 300 * MS)
            sent_after++;
        if (m->dst == 2 && m->end_ns > 100 * MS && m->end_ns < 300 * MS) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_DOWN);
            down_drops++;
        }
    }
    for (size_t i = 0; i < r.nsteps; i++)
        if (r.steps[i].node == 2 && r.steps[i].time_ns > 100 * MS && r.steps[i].time_ns < 300 * MS)
            ck_assert_int_eq(r.steps[i].kind, FL_STEP_DELIVER); /* arrivals only, dropped */
    ck_assert_int_gt(down_drops, 5);
    ck_assert_int_gt(sent_after, 5);
    const rstep *crash = find_step(&r, FL_STEP_CRASH, 2);
    ck_assert_str_eq(crash->detail, "crash 2");
    ck_assert_int_eq(crash->time_ns, 100 * MS);
    ck_assert(fl_faults_took_effect(f, 1)); /* the restart */
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

/* Node 2 writes 100 bytes and syncs them, then writes 50 more and crashes before any
 * sync: the world's unsynced policy decides what it finds at its restart. */
static fl_world *disk_run(uint64_t seed, int unsynced, fl_faults **f, fl_schedule **s, rec *r)
{
    fl_world *w = tp_world(seed, 3, 200 * MS, unsynced, (fl_latency){1 * MS, 2 * MS});
    rec_attach(r, w);
    fl_world_at(w, 20 * MS, FL_STEP_CLIENT, 2, client_action, "w100", 2);
    fl_world_at(w, 21 * MS, FL_STEP_CLIENT, 2, client_action, "s", 2);
    fl_world_at(w, 50 * MS, FL_STEP_CLIENT, 2, client_action, "w50", 2);
    *s = parse_for(w,
                   "[{\"at\":\"60ms\",\"kind\":\"crash\",\"node\":2},"
                   "{\"at\":\"70ms\",\"kind\":\"restart\",\"node\":2}]",
                   200 * MS);
    *f = attach(w, *s, NULL, NULL);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    return w;
}

START_TEST(test_faults_lose_discards_unsynced_bytes)
{
    fl_faults *f;
    fl_schedule *s;
    rec r;
    fl_world *w = disk_run(9, FL_UNSYNCED_LOSE, &f, &s, &r);
    ck_assert_int_eq(snap_int(w, 2, "disk_at_boot"), 100);
    ck_assert_int_eq(snap_int(w, 2, "prefix_ok"), 1);
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_eq(st.bytes_lost, 50);
    ck_assert(fl_faults_took_effect(f, 0));
    ck_assert_uint_eq(st.effective[FL_FAULT_CRASH], 1);
    ck_assert_int_eq(metric(w, "faults.crash.bytes_lost"), 50);
    ck_assert_int_eq(metric(w, "faults.crash.effective"), 1);
    ck_assert_str_eq(find_step(&r, FL_STEP_CRASH, 2)->detail, "crash 2: lost 50 unsynced bytes");
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_tear_leaves_a_prefix)
{
    int partial = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fl_faults *f;
        fl_schedule *s;
        rec r;
        fl_world *w = disk_run(seed, FL_UNSYNCED_TEAR, &f, &s, &r);
        int64_t size = snap_int(w, 2, "disk_at_boot");
        ck_assert_msg(size >= 100 && size <= 150, "seed %llu: %lld", (unsigned long long)seed,
                      (long long)size);
        ck_assert_msg(snap_int(w, 2, "prefix_ok"), "seed %llu: not a prefix",
                      (unsigned long long)seed);
        fl_faults_stats st;
        fl_faults_stats_get(f, &st);
        ck_assert_uint_eq(st.bytes_lost, (uint64_t)(150 - size));
        partial += size > 100 && size < 150;
        fl_world_free(w);
        fl_faults_free(f);
        fl_schedule_free(s);
        rec_free(&r);
    }
    ck_assert_int_gt(partial, 5);
}
END_TEST

START_TEST(test_faults_keep_loses_nothing_so_crash_has_no_disk_effect)
{
    fl_faults *f;
    fl_schedule *s;
    rec r;
    fl_world *w = disk_run(10, FL_UNSYNCED_KEEP, &f, &s, &r);
    ck_assert_int_eq(snap_int(w, 2, "disk_at_boot"), 150);
    ck_assert(!fl_faults_took_effect(f, 0));
    ck_assert_int_eq(metric(w, "faults.crash.scheduled"), 1);
    ck_assert_int_eq(metric(w, "faults.crash.effective"), 0);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

/* ---- timeouts and clocks ---- */

START_TEST(test_faults_forced_timeout_fires_the_named_timer)
{
    fl_world *w = tp_world(11, 3, 200 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"50ms\",\"kind\":\"crash\",\"node\":2},"
                               "{\"at\":\"100ms\",\"kind\":\"timeout\",\"node\":1,"
                               "\"timer\":\"other\"},"
                               "{\"at\":\"100ms\",\"kind\":\"timeout\",\"node\":2},"
                               "{\"at\":\"150ms\",\"kind\":\"restart\",\"node\":2}]",
                               200 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    ck_assert_int_eq(snap_int(w, 1, "others"), 1);
    ck_assert(fl_faults_took_effect(f, 1));
    ck_assert(!fl_faults_took_effect(f, 2)); /* node 2 was down */
    const rstep *t = find_step(&r, FL_STEP_TIMEOUT, 1);
    ck_assert_str_eq(t->detail, "other");
    ck_assert_int_eq(t->time_ns, 100 * MS);
    ck_assert_int_eq(metric(w, "faults.timeout.scheduled"), 2);
    ck_assert_int_eq(metric(w, "faults.timeout.effective"), 1);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_unknown_timer_is_refused)
{
    fl_world *w = tp_world(12, 3, 200 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"50ms\",\"kind\":\"heal\"},{\"at\":\"100ms\","
                               "\"kind\":\"timeout\",\"node\":1,\"timer\":\"election\"}]",
                               200 * MS);
    char err[256];
    ck_assert_ptr_null(fl_faults_attach(w, s, NULL, NULL, err, sizeof err));
    ck_assert_str_eq(err, "schedule[2].timer: the protocol tp has no timer \"election\"");
    fl_schedule_free(s);
    fl_world_free(w);
}
END_TEST

START_TEST(test_faults_schedule_for_other_cluster_is_refused)
{
    fl_world *w = tp_world(12, 3, 200 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_schedule *s;
    char err[256];
    ck_assert_int_eq(fl_schedule_parse("[]", 2, 5, SEC, &s, err, sizeof err), 0);
    ck_assert_ptr_null(fl_faults_attach(w, s, NULL, NULL, err, sizeof err));
    ck_assert_str_eq(err, "schedule: written for 5 nodes, the run has 3");
    fl_schedule_free(s);
    fl_world_free(w);
}
END_TEST

START_TEST(test_faults_clock_drift_slows_timers)
{
    fl_world *w = tp_world(13, 3, 1 * SEC, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"0ms\",\"kind\":\"clock\",\"node\":1,"
                               "\"ppm\":500000}]",
                               1 * SEC);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int64_t slow = snap_int(w, 1, "ticks"), normal = snap_int(w, 2, "ticks");
    ck_assert_int_ge(normal, 99);
    ck_assert_int_le(slow, 70); /* 15 ms per tick instead of 10 */
    ck_assert_int_ge(slow, 60);
    ck_assert(fl_faults_took_effect(f, 0));
    ck_assert_str_eq(find_step(&r, FL_STEP_SCRIPT, 1)->detail, "clock 1 drift +500000ppm");
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

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

static void row_cb(void *ctx, uint64_t seq, int64_t at_ns, const char *kind, const char *spec,
                   int took)
{
    row_check *rc = ctx;
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
        ck_assert_uint_le(st.effective[k], st.scheduled[k]);
        if (k < FL_FAULT_KIND_COUNT) {
            ck_assert_uint_eq(st.scheduled[k], n[k]);
            ck_assert_uint_eq(st.effective[k], rc.took[k]);
        }
    }
    /* this run is busy enough for every kind but crash (it needs unsynced bytes) */
    ck_assert_uint_gt(st.effective[FL_FAULT_PARTITION], 0);
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

START_TEST(test_faults_message_faults_only_inside_window)
{
    fl_world *w = tp_world(14, 3, 600 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 1 * MS});
    rec r;
    rec_attach(&r, w);
    fl_faults_config cfg = {.window_from_ns = 200 * MS, .window_to_ns = 400 * MS};
    fl_net_faults net = {
        .drop = 0.5, .duplicate = 0.5, .spike = 0.5, .spike_delay = {5 * MS, 5 * MS}};
    fl_faults *f = attach(w, NULL, &cfg, &net);
    fl_world_run(w);
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->sent_ns >= 200 * MS && m->sent_ns < 400 * MS)
            continue;
        ck_assert_int_ne(m->fate, FL_FATE_DROPPED_LOSS);
        if (m->fate == FL_FATE_DELIVERED)
            ck_assert_int_eq(m->end_ns - m->sent_ns, 1 * MS);
    }
    ck_assert_int_eq(fl_cluster_quiet_since(fl_world_cluster(w)), 400 * MS);
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
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
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("network");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_faults_dropped_message_is_never_delivered);
    tcase_add_test(tc, test_faults_duplicate_delivers_twice);
    tcase_add_test(tc, test_faults_spike_delays_messages_inside_window);
    tcase_add_test(tc, test_faults_fifo_links_never_reorder);
    tcase_add_test(tc, test_faults_message_faults_only_inside_window);
    tcase_add_test(tc, test_faults_partitioned_pair_exchanges_nothing_while_cut);
    tcase_add_test(tc, test_faults_partition_drops_messages_in_flight);
    tcase_add_test(tc, test_faults_oneway_partition_passes_one_direction);
    suite_add_tcase(s, tc);
    tc = tcase_create("nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_faults_crashed_node_is_idle_until_restart);
    tcase_add_test(tc, test_faults_lose_discards_unsynced_bytes);
    tcase_add_test(tc, test_faults_tear_leaves_a_prefix);
    tcase_add_test(tc, test_faults_keep_loses_nothing_so_crash_has_no_disk_effect);
    tcase_add_test(tc, test_faults_forced_timeout_fires_the_named_timer);
    tcase_add_test(tc, test_faults_unknown_timer_is_refused);
    tcase_add_test(tc, test_faults_schedule_for_other_cluster_is_refused);
    tcase_add_test(tc, test_faults_clock_drift_slows_timers);
    suite_add_tcase(s, tc);
    tc = tcase_create("schedules");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_faults_same_seed_same_digest);
    tcase_add_test(tc, test_faults_written_schedule_reproduces_the_run);
    tcase_add_test(tc, test_faults_accounting_matches_schedule_and_effects);
    tcase_add_test(tc, test_faults_schedule_does_not_depend_on_workload);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

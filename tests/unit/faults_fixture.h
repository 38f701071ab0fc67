/* faults_fixture.h -- the fixture of the fault-injection unit tests
 * (tests/unit/test_faults_*.c): a test protocol, a recorder of what happened in a run, and
 * helpers to build worlds and attach faults to them.
 *
 * The protocol under test is `tp`, defined here so that these tests depend on nothing
 * but the engine: every 10 ms a node pings the next peer round-robin; pings are
 * answered with pongs; client ops write ("w<N>": N pattern bytes) or sync ("s") the
 * disk; at boot a node reads its disk back and checks that it is a prefix of the
 * pattern.
 *
 * A header of static functions rather than a .c file: only tests/unit/test_*.c files
 * become programs, each its own; a test file may leave some helpers unused. */
#ifndef FL_TESTS_UNIT_FAULTS_FIXTURE_H
#define FL_TESTS_UNIT_FAULTS_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/faultline.h"
#include "core/world.h"
#include "faults/apply.h"
#include "faults/schedule.h"

/* Each test file uses some of these helpers; the others are not an error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

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

static int rec_consume(void *ctx, const fl_record *x)
{
    rec *r = ctx;
    if (x->kind == FL_REC_STEP_BEGIN) {
        r->now_ns = x->u.step.time_ns;
    } else if (x->kind == FL_REC_STEP_END) {
        const fl_rec_step *s = &x->u.step;
        r->steps = realloc(r->steps, (r->nsteps + 1) * sizeof *r->steps);
        rstep *st = &r->steps[r->nsteps++];
        st->kind = s->kind;
        st->node = s->node;
        st->time_ns = s->time_ns;
        snprintf(st->detail, sizeof st->detail, "%s", s->detail);
    } else if (x->kind == FL_REC_SEND) {
        const fl_rec_msg *m = &x->u.msg;
        ck_assert_uint_eq(m->id, r->nmsgs + 1);
        r->msgs = realloc(r->msgs, (r->nmsgs + 1) * sizeof *r->msgs);
        r->msgs[r->nmsgs++] = (rmsg){m->src, m->dst, FL_FATE_IN_FLIGHT, m->sent_ns, -1};
    } else if (x->kind == FL_REC_FATE) {
        const fl_rec_msg *m = &x->u.msg;
        r->msgs[m->id - 1].fate = m->fate;
        r->msgs[m->id - 1].end_ns = r->now_ns;
    }
    return 0;
}

static void rec_attach(rec *r, fl_world *w)
{
    memset(r, 0, sizeof *r);
    fl_sink k = {.name = "test",
                 .wants = FL_REC_BIT(FL_REC_STEP_BEGIN) | FL_REC_BIT(FL_REC_STEP_END) |
                          FL_REC_BIT(FL_REC_SEND) | FL_REC_BIT(FL_REC_FATE) | FL_REC_WANT_DESC,
                 .ctx = r,
                 .consume = rec_consume};
    ck_assert_int_eq(fl_stream_add(fl_world_stream(w), &k), 0);
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

#pragma GCC diagnostic pop

#endif

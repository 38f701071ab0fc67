/*
 * access.c -- the world's primitives for actions (crash, restart, forced timeouts,
 * client requests, clock drift, syncs taken by a driver), its accessors, the observer's
 * view (fl_cluster_*), and the names of step kinds, fates and outcomes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/world_impl.h"

static const char *const step_names[FL_STEP_KIND_COUNT] = {
    "start", "deliver",   "timer", "timeout", "client", "synced",
    "crash", "partition", "heal",  "script",  "ignored"};
static const char *const fate_names[FL_FATE_COUNT] = {"in_flight",    "delivered",
                                                      "dropped:loss", "dropped:partition",
                                                      "dropped:down", "dropped:script"};
static const char *const outcome_names[FL_OUTCOME_COUNT] = {
    "running", "ok", "violation", "liveness", "divergence", "limit", "crash", "hang", "error"};

const char *fl_step_kind_name(int kind)
{
    return kind >= 0 && kind < FL_STEP_KIND_COUNT ? step_names[kind] : "?";
}

int fl_step_kind_parse(const char *name)
{
    for (int i = 0; i < FL_STEP_KIND_COUNT; i++)
        if (strcmp(name, step_names[i]) == 0)
            return i;
    return -1;
}

const char *fl_fate_name(int fate)
{
    return fate >= 0 && fate < FL_FATE_COUNT ? fate_names[fate] : "?";
}

const char *fl_outcome_name(int outcome)
{
    return outcome >= 0 && outcome < FL_OUTCOME_COUNT ? outcome_names[outcome] : "?";
}

int fl_outcome_parse(const char *name)
{
    for (int i = 0; i < FL_OUTCOME_COUNT; i++)
        if (strcmp(name, outcome_names[i]) == 0)
            return i;
    return -1;
}

static fl_node *node_of(fl_world *w, int node)
{
    return node >= 1 && node <= w->cfg.nodes ? &w->nodes[node] : NULL;
}

int fl_world_crash(fl_world *w, int node)
{
    fl_node *n = node_of(w, node);
    FL_ASSERT(w->in_step);
    if (!n || !n->up)
        return FL_EINVAL;
    fl_node_halt(n);
    /* The torn fraction is keyed by the crash's identity (node, time), so that removing
     * another fault or sync does not change how much of this one survives. */
    fl_rng r;
    fl_rng_keyed(&r, w->cfg.seed, "tear", (uint64_t)node, (uint64_t)w->now_ns, 0);
    double keep = fl_rng_unit(&r);
    int64_t lost = fl_disk_crash(&n->disk, w->cfg.unsynced, keep);
    w->counts.crashes++;
    w->counts.unsynced_bytes_lost += (uint64_t)lost;
    return 0;
}

int fl_world_restart(fl_world *w, int node)
{
    fl_node *n = node_of(w, node);
    FL_ASSERT(w->in_step);
    if (!n || n->up)
        return FL_EINVAL;
    w->counts.restarts++;
    fl_node_boot(n);
    return 0;
}

int fl_world_fire_timer(fl_world *w, int node, int timer)
{
    fl_node *n = node_of(w, node);
    FL_ASSERT(w->in_step);
    if (timer < 0)
        timer = 0;
    const char *const *names = w->cfg.protocol->timers;
    int ntimers = 0;
    while (names && names[ntimers])
        ntimers++;
    if (!n || !n->up || timer >= ntimers)
        return FL_EINVAL;
    fl_timer_cancel(n, timer); /* it fires now, armed or not */
    if (!w->detail[0])
        fl_world_set_detail(w, "%s", names[timer]);
    w->cfg.protocol->on_timer(n, timer);
    return 0;
}

int fl_world_client(fl_world *w, int node, const void *op, size_t len)
{
    fl_node *n = node_of(w, node);
    FL_ASSERT(w->in_step);
    if (!n || !n->up || !w->cfg.protocol->on_client)
        return FL_EINVAL;
    if (!w->detail[0])
        fl_world_set_detail(w, "%.*s", (int)(len < 200 ? len : 200), (const char *)op);
    w->cfg.protocol->on_client(n, op, len);
    return 0;
}

int fl_world_client_op(fl_world *w, int node, uint64_t op_id, const void *op, size_t len)
{
    fl_node *n = node_of(w, node);
    FL_ASSERT(w->in_step);
    if (!n || !n->up || !w->cfg.protocol->on_client_op)
        return FL_EINVAL;
    w->cfg.protocol->on_client_op(n, op_id, op, len);
    return 0;
}

void fl_world_set_client_hook(fl_world *w, fl_client_reply_fn fn, void *ctx)
{
    w->client_reply = fn;
    w->client_ctx = ctx;
}

void fl_world_set_step_node(fl_world *w, int node)
{
    FL_ASSERT(w->in_step && !w->step_begun); /* no record of the step was made yet */
    FL_ASSERT(node >= 0 && node <= w->cfg.nodes);
    w->cur_node = node;
}

void fl_world_set_sync_hook(fl_world *w, fl_sync_hook_fn fn, void *ctx)
{
    w->sync_hook = fn;
    w->sync_ctx = ctx;
}

int fl_client_reply(fl_node *n, uint64_t op_id, const void *result, size_t len)
{
    fl_world *w = n->w;
    fl_client_result r;
    if (!result || fl_client_result_decode(result, len, &r) != 0) {
        fl_world_misuse(w,
                        "fl_client_reply: node %d answered op %llu with %zu bytes that are "
                        "not a result",
                        n->id, (unsigned long long)op_id, len);
        return -1;
    }
    if (!w->client_reply || w->client_reply(w->client_ctx, w, n->id, op_id, result, len) != 0)
        return -1;
    return 0;
}

void fl_world_complete_sync(fl_world *w, int node, uint64_t sync_id)
{
    fl_node *n = node_of(w, node);
    FL_ASSERT(w->in_step);
    if (!n || !n->up)
        return; /* the crash that took the node down discarded the sync */
    fl_disk_complete_sync(&n->disk, sync_id);
    fl_node_release_held(n, sync_id);
    if (w->cfg.protocol->on_synced)
        w->cfg.protocol->on_synced(n, sync_id);
}

uint64_t fl_world_oldest_sync(const fl_world *w, int node)
{
    if (node < 1 || node > w->cfg.nodes || !w->nodes[node].disk.npending)
        return 0;
    return fl_disk_oldest_sync(&w->nodes[node].disk);
}

int fl_world_set_drift(fl_world *w, int node, int32_t ppm)
{
    fl_node *n = node_of(w, node);
    if (!n || ppm <= -1000000)
        return FL_EINVAL;
    /* the local clock keeps the time it shows and runs at the new rate from now on */
    n->clock_base_ns = fl_node_local_now(n);
    n->clock_base_at_ns = w->now_ns;
    n->drift_ppm = ppm;
    return 0;
}

void fl_world_set_quiet_since(fl_world *w, int64_t t)
{
    w->quiet_since_ns = t;
}

/* ---- accessors ---- */

uint64_t fl_world_seed(const fl_world *w)
{
    return w->cfg.seed;
}
int64_t fl_world_now(const fl_world *w)
{
    return w->now_ns;
}
uint64_t fl_world_steps(const fl_world *w)
{
    return w->step;
}
int fl_world_nodes(const fl_world *w)
{
    return w->cfg.nodes;
}
int fl_world_outcome(const fl_world *w)
{
    return w->outcome;
}
const fl_violation *fl_world_violation(const fl_world *w)
{
    return &w->violation;
}
uint64_t fl_world_fail_step(const fl_world *w)
{
    return w->fail_step;
}
int64_t fl_world_fail_time(const fl_world *w)
{
    return w->fail_time_ns;
}
uint64_t fl_world_digest(const fl_world *w)
{
    return w->chain;
}
const struct fl_protocol *fl_world_protocol(const fl_world *w)
{
    return w->cfg.protocol;
}
const fl_cluster *fl_world_cluster(const fl_world *w)
{
    return &w->cluster;
}

int fl_world_node_up(const fl_world *w, int node)
{
    return node >= 1 && node <= w->cfg.nodes && w->nodes[node].up;
}

void fl_world_counts_get(const fl_world *w, fl_world_counts *c)
{
    *c = w->counts;
}

cJSON *fl_world_snapshot_raw(const fl_world *w, int node)
{
    if (!fl_world_node_up(w, node) || !w->cfg.protocol->snapshot)
        return NULL;
    return w->cfg.protocol->snapshot(&w->nodes[node]);
}

/* Replace raw JSON items (a protocol's pre-printed parts) by their parsed trees. */
static void parse_raw_items(cJSON *j)
{
    for (cJSON *c = j ? j->child : NULL; c; c = c->next) {
        if (cJSON_IsRaw(c)) {
            cJSON *tree = cJSON_Parse(c->valuestring);
            FL_ASSERT(tree != NULL); /* a protocol's raw text must be valid JSON */
            if (c->string)           /* an object member: keep its key (copied before c is freed) */
                cJSON_ReplaceItemInObjectCaseSensitive(j, c->string, tree);
            else
                cJSON_ReplaceItemViaPointer(j, c, tree);
            c = tree;
        } else {
            parse_raw_items(c);
        }
    }
}

cJSON *fl_world_snapshot(const fl_world *w, int node)
{
    cJSON *j = fl_world_snapshot_raw(w, node);
    parse_raw_items(j);
    return j;
}

const char *fl_world_describe(const fl_world *w, const fl_msg *m, char *buf, size_t cap)
{
    if (w->cfg.protocol->describe)
        return w->cfg.protocol->describe(m->body, m->len, buf, cap);
    snprintf(buf, cap, "msg %u bytes", m->len);
    return buf;
}

int fl_world_timer_index(const fl_world *w, const char *name)
{
    const char *const *t = w->cfg.protocol->timers;
    for (int i = 0; t && t[i]; i++)
        if (strcmp(t[i], name) == 0)
            return i;
    return -1;
}

/* ---- the observer's view ---- */

int fl_cluster_nodes(const fl_cluster *c)
{
    return c->w->cfg.nodes;
}
int64_t fl_cluster_now(const fl_cluster *c)
{
    return c->w->now_ns;
}
int64_t fl_cluster_quiet_since(const fl_cluster *c)
{
    return c->w->quiet_since_ns;
}
const cJSON *fl_cluster_params(const fl_cluster *c)
{
    return c->w->cfg.params;
}

const void *fl_cluster_state(const fl_cluster *c, int id)
{
    return fl_world_node_up(c->w, id) ? c->w->nodes[id].state : NULL;
}

int fl_cluster_node_up(const fl_cluster *c, int id)
{
    return fl_world_node_up(c->w, id);
}

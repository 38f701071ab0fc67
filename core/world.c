/*
 * world.c -- creating a world and stepping it (see world.h).
 *
 * The step loop: pop the earliest event, skip it if stale (a re-armed timer's, a
 * discarded sync's), execute it as step number `step`, then fold the step into
 * the digest chain, let the observer check, and tell the hooks.  Hooks hear a step's
 * beginning lazily, just before its first output (or at its end), so that an action
 * can set the step's detail before anything is printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/jsonout.h"
#include "core/world_impl.h"

static int cmp_link(const void *a, const void *b)
{
    const fl_link *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

static int check_config(const fl_world_config *cfg, char *err, size_t cap)
{
    const struct fl_protocol *p = cfg->protocol;
    if (!p || !p->start || !p->on_message || !p->on_timer) {
        snprintf(err, cap, "protocol: missing start, on_message or on_timer");
        return FL_EINVAL;
    }
    if (cfg->nodes < 1 || cfg->nodes > FL_MAX_NODES) {
        snprintf(err, cap, "nodes: expected 1..%d, got %d", FL_MAX_NODES, cfg->nodes);
        return FL_EINVAL;
    }
    if (cfg->latency.min_ns < 0 || cfg->latency.min_ns > cfg->latency.max_ns ||
        cfg->disk_sync.min_ns < 0 || cfg->disk_sync.min_ns > cfg->disk_sync.max_ns) {
        snprintf(err, cap, "latency: expected 0 <= min <= max");
        return FL_EINVAL;
    }
    for (size_t i = 0; i < cfg->nlinks; i++) {
        const fl_link *l = &cfg->links[i];
        if (l->from < 1 || l->from > cfg->nodes || l->to < 1 || l->to > cfg->nodes) {
            snprintf(err, cap, "links[%zu]: node out of range", i);
            return FL_EINVAL;
        }
    }
    return 0;
}

static int schedule_starts(fl_world *w)
{
    for (int i = 1; i <= w->cfg.nodes; i++) {
        int rc = fl_evq_push(w->q, 0, EV_TAG(EV_START, i), NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int init_nodes(fl_world *w)
{
    w->nodes = calloc((size_t)w->cfg.nodes + 1, sizeof *w->nodes);
    if (!w->nodes)
        return FL_ENOMEM;
    for (int i = 1; i <= w->cfg.nodes; i++) {
        fl_node *n = &w->nodes[i];
        n->w = w;
        n->id = i;
        fl_rng_fork(&n->rng, w->cfg.seed, "node", (uint64_t)i);
        fl_disk_init(&n->disk);
        for (int t = 0; t < FL_MAX_TIMERS; t++)
            n->timer_seq[t] = TIMER_UNARMED;
    }
    return 0;
}

fl_world *fl_world_new(const fl_world_config *cfg, char *err, size_t cap)
{
    if (check_config(cfg, err, cap))
        return NULL;
    fl_world *w = calloc(1, sizeof *w);
    if (!w)
        goto oom;
    w->cfg = *cfg;
    w->cluster.w = w;
    w->quiet_since_ns = -1;
    w->msg_free = UINT32_MAX;
    w->action_free = UINT32_MAX;
    w->next_msg_id = 1;
    w->fail_time_ns = -1;
    w->chain = FL_DIGEST_INIT;
    fl_rng_fork(&w->net_rng, cfg->seed, "network", 0);
    fl_rng_fork(&w->disk_rng, cfg->seed, "disk", 0);
    if (cfg->nlinks) {
        w->links = malloc(cfg->nlinks * sizeof *w->links);
        if (!w->links)
            goto oom;
        memcpy(w->links, cfg->links, cfg->nlinks * sizeof *w->links);
        qsort(w->links, cfg->nlinks, sizeof *w->links, cmp_link);
        w->cfg.links = w->links;
    }
    const struct fl_protocol *p = cfg->protocol;
    if (p->observer_size && !(w->observer = calloc(1, p->observer_size)))
        goto oom;
    if (!(w->q = fl_evq_new()) || init_nodes(w) || schedule_starts(w))
        goto oom;
    return w;
oom:
    snprintf(err, cap, "world: out of memory");
    fl_world_free(w);
    return NULL;
}

void fl_world_free(fl_world *w)
{
    if (!w)
        return;
    if (w->nodes) {
        for (int i = 1; i <= w->cfg.nodes; i++) {
            fl_node_halt(&w->nodes[i]);
            fl_disk_close(&w->nodes[i].disk);
            if (w->last_state)
                free(w->last_state[i]);
        }
    }
    if (w->observer && w->cfg.protocol->observer_free)
        w->cfg.protocol->observer_free(w->observer);
    free(w->observer);
    free(w->last_state);
    free(w->nodes);
    fl_soup_close(w);
    fl_evq_free(w->q);
    free(w->links);
    free(w->actions);
    for (size_t i = 0; i < w->nmetrics; i++)
        free(w->metrics[i].name);
    free(w->metrics);
    free(w->deferred);
    free(w);
}

void fl_world_set_policy(fl_world *w, const fl_netpolicy *p)
{
    w->policy = *p;
}

int fl_world_add_hooks(fl_world *w, const fl_world_hooks *h)
{
    if (w->nhooks == FL_MAX_HOOKS)
        return FL_ELIMIT;
    w->hooks[w->nhooks++] = *h;
    if (h->want_states && !w->want_states) {
        w->last_state = calloc((size_t)w->cfg.nodes + 1, sizeof *w->last_state);
        if (!w->last_state)
            return FL_ENOMEM;
        w->want_states = 1;
    }
    return 0;
}

/* ---- digest and hook emission ---- */

void fl_world_fold(fl_world *w, uint64_t v)
{
    w->chain = fl_digest_u64(w->chain, v);
}

static void step_info(const fl_world *w, fl_step_info *s)
{
    *s = (fl_step_info){.step = w->step,
                        .time_ns = w->now_ns,
                        .kind = w->cur_kind,
                        .node = w->cur_node,
                        .peer = w->cur_peer,
                        .msg_id = w->cur_msg_id,
                        .detail = w->detail,
                        .chain = w->chain};
}

void fl_world_emit_begin(fl_world *w)
{
    if (w->step_begun)
        return;
    w->step_begun = 1;
    fl_step_info s;
    step_info(w, &s);
    for (int i = 0; i < w->nhooks; i++)
        if (w->hooks[i].on_step_begin)
            w->hooks[i].on_step_begin(w->hooks[i].ctx, &s);
}

void fl_world_emit_log(fl_world *w, int node, int level, const char *text)
{
    fl_world_emit_begin(w);
    for (int i = 0; i < w->nhooks; i++)
        if (w->hooks[i].on_log)
            w->hooks[i].on_log(w->hooks[i].ctx, w->step, w->now_ns, node, level, text);
}

void fl_world_emit_fate(fl_world *w, const fl_msg *m)
{
    if (w->nhooks == 0)
        return;
    if (w->in_step)
        fl_world_emit_begin(w);
    for (int i = 0; i < w->nhooks; i++)
        if (w->hooks[i].on_fate)
            w->hooks[i].on_fate(w->hooks[i].ctx, m, w->step);
}

static void emit_send(fl_world *w, const fl_msg *m)
{
    if (w->nhooks == 0)
        return;
    char desc[256];
    fl_world_describe(w, m, desc, sizeof desc);
    fl_world_emit_begin(w);
    for (int i = 0; i < w->nhooks; i++)
        if (w->hooks[i].on_send)
            w->hooks[i].on_send(w->hooks[i].ctx, m, desc);
}

/* Record the acting node's state if it changed in this step. */
void fl_world_emit_state(fl_world *w, int node)
{
    if (!w->want_states || node < 1)
        return;
    char *text;
    cJSON *j = fl_world_snapshot_raw(w, node); /* printed as is: no need to parse */
    if (j) {
        text = fl_json_print(j);
        cJSON_Delete(j);
    } else {
        text = strdup("null");
    }
    FL_ASSERT(text != NULL);
    if (w->last_state[node] && strcmp(w->last_state[node], text) == 0) {
        free(text);
        return;
    }
    free(w->last_state[node]);
    w->last_state[node] = text;
    fl_world_emit_begin(w);
    for (int i = 0; i < w->nhooks; i++)
        if (w->hooks[i].on_state)
            w->hooks[i].on_state(w->hooks[i].ctx, w->step, w->now_ns, node, text);
}

/* ---- sending ---- */

static int64_t draw_latency(fl_world *w, int src, int dst)
{
    fl_latency lat = w->cfg.latency;
    if (w->cfg.nlinks) {
        fl_link key = {.from = src, .to = dst};
        const fl_link *l = bsearch(&key, w->links, w->cfg.nlinks, sizeof key, cmp_link);
        if (l)
            lat = l->latency;
    }
    return fl_rng_range(&w->net_rng, lat.min_ns, lat.max_ns);
}

static int push_delivery(fl_world *w, uint32_t slot)
{
    return fl_evq_push(w->q, w->msgs[slot].deliver_ns, EV_TAG(EV_DELIVER, slot), NULL);
}

static void fold_msg(fl_world *w, const fl_msg *m)
{
    w->chain = fl_digest_u64(w->chain, m->id);
    w->chain = fl_digest_u64(w->chain, (uint64_t)m->src << 32 | (uint32_t)m->dst);
    w->chain = fl_digest_u64(w->chain, (uint64_t)m->deliver_ns);
    w->chain = fl_digest_bytes(w->chain, m->body, m->len);
}

/* A copy of the message in `slot` with its own id, for a duplicating network. */
static int duplicate(fl_world *w, uint32_t slot, uint32_t *copy)
{
    fl_msg m = w->msgs[slot]; /* by value: the slab may move */
    return fl_soup_new_msg(w, m.src, m.dst, m.body, m.len, copy);
}

int fl_world_schedule_delivery(fl_world *w, uint32_t slot)
{
    fl_msg *m = &w->msgs[slot];
    if (m->src == m->dst) { /* self-sends: at once, never faulted */
        m->deliver_ns = w->now_ns;
        fold_msg(w, m);
        emit_send(w, m);
        return push_delivery(w, slot);
    }
    if (w->cfg.scripted) {
        m->scripted_wait = 1;
        fold_msg(w, m);
        emit_send(w, m);
        return 0;
    }
    /* The policy sees the drawn delivery time, which fifo links need, and adds to it. */
    m->deliver_ns = w->now_ns + draw_latency(w, m->src, m->dst);
    fl_net_verdict v = {0};
    if (w->policy.on_send)
        w->policy.on_send(w->policy.ctx, w, m, &v);
    m = &w->msgs[slot];
    m->deliver_ns += v.extra_delay_ns;
    fold_msg(w, m);
    emit_send(w, m);
    if (v.drop) {
        fl_soup_set_fate(w, m, v.drop);
        fl_soup_free_msg(w, slot);
        return 0;
    }
    int rc = push_delivery(w, slot);
    for (int i = 0; rc == 0 && i < v.duplicates; i++) {
        uint32_t c;
        rc = duplicate(w, slot, &c);
        if (rc)
            break;
        fl_msg *dm = &w->msgs[c];
        dm->deliver_ns = w->now_ns + draw_latency(w, dm->src, dm->dst) + v.extra_delay_ns;
        fold_msg(w, dm);
        emit_send(w, dm);
        rc = push_delivery(w, c);
    }
    return rc;
}

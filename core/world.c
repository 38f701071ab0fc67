/*
 * world.c -- creating a world and stepping it (see world.h).
 *
 * The step loop: pop the earliest event, skip it if stale (a re-armed timer's, a
 * discarded sync's), execute it as step number `step`, then fold the step into
 * the digest chain, let the observer check, and emit the step's records (emit.c).
 * When a message is delivered, timers fire and syncs complete is the driver's
 * decision (fl_world_driver); the defaults are the automatic driver's.
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
    for (const char *const *t = cfg->protocol->timers; t && *t && w->ntimers < FL_MAX_TIMERS; t++)
        w->ntimers++;
    w->quiet_since_ns = -1;
    w->msg_free = UINT32_MAX;
    w->action_free = UINT32_MAX;
    w->next_msg_id = 1;
    w->fail_time_ns = -1;
    w->chain = FL_DIGEST_INIT;
    fl_stream_init(&w->stream);
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
    if (!(w->q = fl_evq_new()) || init_nodes(w) || schedule_starts(w) || fl_world_metrics_init(w))
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
        }
    }
    if (w->observer && w->cfg.protocol->observer_free)
        w->cfg.protocol->observer_free(w->observer);
    free(w->observer);
    fl_world_emit_close(w);
    free(w->nodes);
    fl_soup_close(w);
    fl_evq_free(w->q);
    free(w->links);
    free(w->actions);
    fl_world_metrics_close(w);
    free(w);
}

void fl_world_set_policy(fl_world *w, const fl_netpolicy *p)
{
    w->policy = *p;
}

void fl_world_set_driver(fl_world *w, const fl_world_driver *d)
{
    w->drv = *d;
}

void fl_world_fold(fl_world *w, uint64_t v)
{
    w->chain = fl_digest_u64(w->chain, v);
}

/* ---- sending ---- */

/* The link latency of m, keyed by its identity: the same message of the same seed gets
 * the same latency whatever else happened in the run. */
static int64_t draw_latency(fl_world *w, const fl_msg *m)
{
    fl_latency lat = w->cfg.latency;
    if (w->cfg.nlinks) {
        fl_link key = {.from = m->src, .to = m->dst};
        const fl_link *l = bsearch(&key, w->links, w->cfg.nlinks, sizeof key, cmp_link);
        if (l)
            lat = l->latency;
    }
    fl_rng r;
    fl_rng_keyed(&r, w->cfg.seed, "latency", (uint64_t)(uint32_t)m->src << 32 | (uint32_t)m->dst,
                 m->nth, m->copy);
    return fl_rng_range(&r, lat.min_ns, lat.max_ns);
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
    int rc = fl_soup_new_msg(w, m.src, m.dst, m.body, m.len, copy);
    if (rc == 0)
        w->msgs[*copy].nth = m.nth;
    return rc;
}

int fl_world_schedule_delivery(fl_world *w, uint32_t slot)
{
    fl_msg *m = &w->msgs[slot];
    if (m->src == m->dst) { /* self-sends: at once, never faulted */
        m->deliver_ns = w->now_ns;
        fold_msg(w, m);
        fl_world_emit_send(w, m);
        return push_delivery(w, slot);
    }
    if (w->drv.hold_send && w->drv.hold_send(w->drv.ctx, w, m)) {
        m->held = 1;
        fold_msg(w, m);
        fl_world_emit_send(w, m);
        return 0;
    }
    /* The policy sees the drawn delivery time, which fifo links need, and adds to it. */
    m->deliver_ns = w->now_ns + draw_latency(w, m);
    fl_net_verdict v = {0};
    if (w->policy.on_send)
        w->policy.on_send(w->policy.ctx, w, m, &v);
    m = &w->msgs[slot];
    m->deliver_ns += v.extra_delay_ns;
    fold_msg(w, m);
    fl_world_emit_send(w, m);
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
        dm->copy = (uint8_t)(i + 1);
        dm->deliver_ns = w->now_ns + draw_latency(w, dm) + v.extra_delay_ns;
        fold_msg(w, dm);
        fl_world_emit_send(w, dm);
        rc = push_delivery(w, c);
    }
    return rc;
}

int fl_world_duplicate(fl_world *w, uint64_t msg_id, int copy)
{
    FL_ASSERT(w->in_step);
    FL_ASSERT(copy >= 1 && copy <= 3); /* fl_msg.copy has two bits */
    for (uint32_t s = 0; s < w->nmsgs; s++) {
        const fl_msg *m = &w->msgs[s];
        if (m->id != msg_id || m->fate != FL_FATE_IN_FLIGHT || !m->held)
            continue;
        uint32_t c;
        int rc = duplicate(w, s, &c);
        if (rc)
            return rc;
        fl_msg *dm = &w->msgs[c];
        dm->copy = (uint32_t)copy;
        dm->held = 1;
        fold_msg(w, dm);
        fl_world_emit_send(w, dm);
        return 0;
    }
    return FL_ENOTFOUND;
}

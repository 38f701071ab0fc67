/*
 * raft_observer_end.c -- the Raft observer at the end of a run: liveness, metrics, and
 * freeing its memory; and the helpers both of its files use (core/raft_observer.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/raft_observer.h"

static unsigned long long u(uint64_t v)
{
    return (unsigned long long)v;
}

int fl_rob_fail(fl_violation *v, const char *check, const char *fmt, ...)
{
    va_list ap;
    snprintf(v->check, sizeof v->check, "%s", check);
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
    return 1;
}

void *fl_rob_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *q = realloc(p, ncap * elem);
    if (q)
        *cap = ncap;
    return q;
}

int fl_rob_node(const fl_cluster *c, const struct fl_raft_adapter *a, int id, struct nv *out)
{
    out->st = fl_cluster_state(c, id);
    if (!out->st)
        return 0;
    a->view(out->st, &out->v);
    return 1;
}

int fl_rob_majority(const struct obs *o)
{
    return o->n / 2 + 1;
}

/* The leader of the highest term among the nodes that are up, or 0. */
static int current_leader(const fl_cluster *c, const struct obs *o, const struct fl_raft_adapter *a,
                          uint64_t *term)
{
    int leader = 0;
    *term = 0;
    for (int i = 1; i <= o->n; i++) {
        struct nv s;
        if (!fl_rob_node(c, a, i, &s) || s.v.term < *term)
            continue;
        if (s.v.term > *term)
            leader = 0;
        *term = s.v.term;
        if (s.v.role == FL_RAFT_LEADER)
            leader = i;
    }
    return leader;
}

int fl_raft_check_end(const fl_cluster *c, void *observer, const struct fl_raft_adapter *a,
                      fl_violation *v)
{
    struct obs *o = observer;
    int64_t q = fl_cluster_quiet_since(c), now = fl_cluster_now(c);
    /* Ten election timeouts cover several split votes and the catch-up after them. */
    if (!o->inited || q < 0 || now - q < 10 * o->election_ns)
        return 0;
    uint64_t term;
    int leader = current_leader(c, o, a, &term);
    double quiet_s = (double)(now - q) / 1e9;
    if (!leader)
        return fl_rob_fail(v, "liveness",
                           "no leader %.3fs after the faults healed (highest term "
                           "%llu)",
                           quiet_s, u(term));
    struct nv ls;
    fl_rob_node(c, a, leader, &ls);
    uint64_t fresh = o->quiet_seen ? o->quiet_last + 1 : 1;
    int fresh_ok = 0, caught_up = 0;
    for (int i = 1; i <= o->n; i++) {
        struct nv s;
        if (!fl_rob_node(c, a, i, &s))
            continue;
        fresh_ok += s.v.commit >= fresh;
        caught_up += s.v.commit >= ls.v.last_index;
    }
    if (fresh_ok >= fl_rob_majority(o) ||
        (ls.v.commit == ls.v.last_index && caught_up >= fl_rob_majority(o)))
        return 0;
    return fl_rob_fail(v, "liveness",
                       "leader %d of term %llu: no entry after index %llu is "
                       "committed on a majority %.3fs after the faults healed (leader commit %llu, "
                       "last %llu)",
                       leader, u(term), u(fresh - 1), quiet_s, u(ls.v.commit), u(ls.v.last_index));
}

void fl_raft_observer_free(void *observer)
{
    struct obs *o = observer;
    for (int i = 0; o->nodes && i <= o->n; i++)
        free(o->nodes[i].ph);
    free(o->nodes);
    free(o->leaders);
    free(o->lm_head);
    free(o->lm);
    free(o->gc);
    free(o->gc_term);
    free(o->gc_ct);
    memset(o, 0, sizeof *o);
}

void fl_raft_report(const fl_cluster *c, void *observer)
{
    const struct obs *o = observer;
    if (!o->inited)
        return;
    const struct obs_metrics *m = &o->m;
    fl_cluster_metric_set(c, "raft.elections", m->elections);
    fl_cluster_metric_set(c, "raft.leaders", m->leaders);
    fl_cluster_metric_set(c, "raft.leader_changes", m->leader_changes);
    fl_cluster_metric_set(c, "raft.proposals", m->proposals);
    fl_cluster_metric_set(c, "raft.commits", m->commits);
    fl_cluster_metric_set(c, "raft.max_term", m->max_term);
    if (m->first_leader_ns >= 0)
        fl_cluster_metric_set(c, "raft.first_leader_ns", m->first_leader_ns);
}

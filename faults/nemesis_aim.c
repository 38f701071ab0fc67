/*
 * nemesis_aim.c -- the aimed kinds of the nemesis (issue 16): faults at the leader, at
 * syncs and at elections, generated beside the plain kinds and merged into their
 * schedule.
 *
 *   leader_crash         crash {"select": "leader"}; its own restart after `down`
 *   sync_crash           crash the leader or the first node to sync, just before or just
 *                        after a sync completes (within `within`); restart after `down`
 *   leader_partition     the leader alone, or with a minority, for `duration`
 *   restart_partitioned  crash the leader; after `down` cut it off (alone or with a
 *                        minority) and restart it there; heal after `duration`
 *   storm                forced timeouts on 2..N distinct nodes, all within `spread`
 *
 * Each kind draws from its own stream ("faults", 16 + kind), and the plain kinds' walk
 * (nemesis.c) runs exactly as without them, so switching an aimed kind on moves none of
 * the plain faults: the aimed entries are generated apart and merged in time order (the
 * plain entry first at equal times).  Entries that follow an earlier one ({"select":
 * "entry"}) are renumbered by the merge.  The window's end keeps its promise: every
 * aimed restart happens by then, and a heal ends an aimed partition still in place.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/rng.h"
#include "faults/schedule_int.h"

#define NEVER INT64_MAX

enum { A_LEADER_CRASH = 0, A_SYNC_CRASH, A_LEADER_PART, A_RESTART_PART, A_STORM, A_COUNT };

typedef struct later {
    fl_fault f;
    uint64_t seq; /* insertion order breaks ties */
} later;

typedef struct agen {
    const fl_faults_config *cfg;
    fl_schedule *s; /* the aimed entries alone; "entry" selectors index it */
    int nodes;
    int64_t to_ns;
    fl_rng rng[A_COUNT];
    int64_t next[A_COUNT];
    later *q; /* entries due later, sorted by (at_ns, seq) */
    size_t nq, qcap;
    uint64_t seq;
    int heal_pending; /* an aimed partition may be in place */
    int32_t *perm;
} agen;

static int64_t around(fl_rng *r, int64_t d)
{
    return d <= 1 ? 1 : fl_rng_range(r, d / 2, d + d / 2);
}

static int64_t next_after(fl_rng *r, int64_t t, int64_t every_ns)
{
    if (every_ns <= 0)
        return NEVER;
    int64_t dt = fl_rng_exp(r, every_ns);
    return t > NEVER - dt ? NEVER : t + dt;
}

static int64_t clamp_to(const agen *g, int64_t t, int64_t d)
{
    return t >= g->to_ns - d ? g->to_ns : t + d;
}

static int push_later(agen *g, const fl_fault *f)
{
    if (g->nq == g->qcap) {
        size_t ncap = g->qcap ? 2 * g->qcap : 32;
        later *nq = realloc(g->q, ncap * sizeof *nq);
        if (!nq)
            return FL_ENOMEM;
        g->q = nq;
        g->qcap = ncap;
    }
    size_t i = g->nq++;
    while (i > 0 && g->q[i - 1].f.at_ns > f->at_ns) {
        g->q[i] = g->q[i - 1];
        i--;
    }
    g->q[i] = (later){*f, g->seq++};
    return 0;
}

/* Emit f now; returns its 1-based number in the aimed list (for "entry" selectors). */
static int put(agen *g, const fl_fault *f, uint32_t *num)
{
    int rc = fl_schedule_push(g->s, f);
    if (rc == 0 && num)
        *num = (uint32_t)fl_schedule_len(g->s);
    return rc;
}

static fl_fault entry(int64_t t, int kind, int select, const char *tag)
{
    fl_fault f = {.at_ns = t, .kind = kind, .select = select};
    if (tag)
        memcpy(f.tag, tag, strlen(tag) + 1);
    return f;
}

static fl_fault follow(int64_t t, int kind, uint32_t num, const char *tag)
{
    fl_fault f = entry(t, kind, FL_SELECT_ENTRY, tag);
    f.select_entry = num;
    return f;
}

/* A minority companion count: with 0..(N-1)/2 - 1 others, the group stays a minority. */
static int minority_with(agen *g, fl_rng *r)
{
    int top = (g->nodes - 1) / 2 - 1;
    return top > 0 ? (int)fl_rng_below(r, (uint64_t)top + 1) : 0;
}

static int isolate(agen *g, fl_rng *r, int64_t t, int select, uint32_t num, const char *name,
                   const char *tag)
{
    fl_fault p = entry(t, FL_FAULT_PARTITION, select, tag);
    p.select_entry = num;
    p.isolate = 1;
    p.with = minority_with(g, r);
    memcpy(p.timer, name, strlen(name) + 1);
    return push_later(g, &p);
}

static int do_kind(agen *g, int k, int64_t t)
{
    const fl_faults_config *c = g->cfg;
    fl_rng *r = &g->rng[k];
    uint32_t num = 0;
    int rc = 0;
    if (k == A_LEADER_CRASH) {
        g->next[k] = next_after(r, t, c->leader_crash_every_ns);
        fl_fault f = entry(t, FL_FAULT_CRASH, FL_SELECT_LEADER, "leader_crash");
        int64_t down = around(r, c->leader_crash_down_ns);
        if ((rc = put(g, &f, &num)) == 0) {
            fl_fault re = follow(clamp_to(g, t, down), FL_FAULT_RESTART, num, NULL);
            rc = push_later(g, &re);
        }
    } else if (k == A_SYNC_CRASH) {
        g->next[k] = next_after(r, t, c->sync_crash_every_ns);
        int leader = fl_rng_below(r, 2) == 0, before = fl_rng_below(r, 2) == 0;
        int64_t down = around(r, c->sync_crash_down_ns);
        int64_t within = c->sync_crash_within_ns;
        if (within > g->to_ns - t - 1)
            within = g->to_ns - t - 1;
        if (within < 1)
            return 0;
        fl_fault f =
            entry(t, FL_FAULT_CRASH, leader ? FL_SELECT_LEADER : FL_SELECT_RANDOM_UP, "sync_crash");
        f.sync = before ? FL_SYNC_BEFORE : FL_SYNC_AFTER;
        f.within_ns = within;
        if ((rc = put(g, &f, &num)) == 0) {
            fl_fault re = follow(clamp_to(g, t + within, down), FL_FAULT_RESTART, num, NULL);
            rc = push_later(g, &re);
        }
    } else if (k == A_LEADER_PART) {
        g->next[k] = next_after(r, t, c->leader_partition_every_ns);
        int64_t dur = around(r, c->leader_partition_duration_ns);
        rc = isolate(g, r, t, FL_SELECT_LEADER, 0, "leader", "leader_partition");
        fl_fault h = entry(clamp_to(g, t, dur), FL_FAULT_HEAL, FL_SELECT_NONE, NULL);
        if (rc == 0 && h.at_ns < g->to_ns)
            rc = push_later(g, &h);
    } else if (k == A_RESTART_PART) {
        g->next[k] = next_after(r, t, c->restart_partitioned_every_ns);
        int64_t down = around(r, c->restart_partitioned_down_ns);
        int64_t dur = around(r, c->restart_partitioned_duration_ns);
        fl_fault f = entry(t, FL_FAULT_CRASH, FL_SELECT_LEADER, NULL);
        if ((rc = put(g, &f, &num)) != 0)
            return rc;
        int64_t back = clamp_to(g, t, down);
        if (back < g->to_ns) { /* cut off first, then restart: it wakes up alone */
            rc = isolate(g, r, back, FL_SELECT_ENTRY, num, "restart", NULL);
            fl_fault h = entry(clamp_to(g, back, dur), FL_FAULT_HEAL, FL_SELECT_NONE, NULL);
            if (rc == 0 && h.at_ns < g->to_ns)
                rc = push_later(g, &h);
        }
        fl_fault re = follow(back, FL_FAULT_RESTART, num, "restart_partitioned");
        if (rc == 0)
            rc = push_later(g, &re);
    } else {
        g->next[k] = next_after(r, t, c->storm_every_ns);
        int n = g->nodes;
        if (n < 2)
            return 0;
        int count = 2 + (int)fl_rng_below(r, (uint64_t)(n - 1)); /* 2..N nodes */
        for (int i = 0; i < n; i++)
            g->perm[i] = i + 1;
        for (int i = 0; i < count && rc == 0; i++) {
            int j = i + (int)fl_rng_below(r, (uint64_t)(n - i));
            int32_t x = g->perm[i];
            g->perm[i] = g->perm[j], g->perm[j] = x;
            int64_t at = t + fl_rng_range(r, 0, c->storm_spread_ns);
            fl_fault f = entry(at, FL_FAULT_TIMEOUT, FL_SELECT_NONE, "storm");
            f.node = g->perm[i];
            memcpy(f.timer, c->storm_timer, sizeof f.timer);
            f.timer[sizeof f.timer - 1] = '\0';
            if (at < g->to_ns)
                rc = push_later(g, &f);
        }
    }
    return rc;
}

/* Emit the earliest later entry.  A partition's "entry" selector was numbered when
 * pushed; nothing else changes. */
static int pop_later(agen *g)
{
    later l = g->q[0];
    memmove(g->q, g->q + 1, (g->nq - 1) * sizeof *g->q);
    g->nq--;
    if (l.f.kind == FL_FAULT_PARTITION || l.f.kind == FL_FAULT_HEAL)
        g->heal_pending = l.f.kind == FL_FAULT_PARTITION;
    return put(g, &l.f, NULL);
}

static int walk(agen *g)
{
    for (uint64_t draws = 0;; draws++) {
        if (draws > 4 * (uint64_t)FL_SCHEDULE_MAX_ENTRIES)
            return FL_ELIMIT;
        int64_t t = g->nq ? g->q[0].f.at_ns : NEVER;
        int which = -1, rc;
        for (int k = 0; k < A_COUNT; k++)
            if (g->next[k] < t)
                t = g->next[k], which = k;
        if (t >= g->to_ns)
            break;
        rc = which < 0 ? pop_later(g) : do_kind(g, which, t);
        if (rc != 0)
            return rc;
    }
    /* The window's end: what is left of the queue are restarts at to_ns (clamped there)
     * and entries past the window, which are dropped; then one heal. */
    for (size_t i = 0; i < g->nq; i++) {
        later *l = &g->q[i];
        if (l->f.kind != FL_FAULT_RESTART)
            continue;
        l->f.at_ns = g->to_ns;
        int rc = put(g, &l->f, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Merge base (plain) and aimed entries into one schedule in time order, base first at
 * equal times, renumbering "entry" selectors.  A heal is added at the window's end when
 * an aimed partition may be in place and base does not heal there already. */
static int merge(fl_schedule *base, fl_schedule *aim, int heal_at_end, int64_t to_ns)
{
    size_t nb = base->len, na = aim->len, i = 0, j = 0;
    fl_fault *all = malloc((nb + na + 1) * sizeof *all);
    uint32_t *num = malloc((na + 1) * sizeof *num);
    if (!all || !num) {
        free(all);
        free(num);
        return FL_ENOMEM;
    }
    int base_heals_at_end = 0;
    for (size_t k = 0; k < nb; k++)
        base_heals_at_end |=
            base->entries[k].kind == FL_FAULT_HEAL && base->entries[k].at_ns == to_ns;
    size_t n = 0;
    while (i < nb || j < na) {
        if (j == na || (i < nb && base->entries[i].at_ns <= aim->entries[j].at_ns)) {
            all[n++] = base->entries[i++];
            continue;
        }
        fl_fault f = aim->entries[j];
        num[j++] = (uint32_t)n + 1;
        if (f.select == FL_SELECT_ENTRY)
            f.select_entry = num[f.select_entry - 1];
        all[n++] = f;
    }
    if (heal_at_end && !base_heals_at_end && to_ns > 0)
        all[n++] = (fl_fault){.at_ns = to_ns, .kind = FL_FAULT_HEAL};
    free(num);
    free(base->entries);
    base->entries = all;
    base->len = base->cap = n;
    base->cells += aim->cells;
    aim->len = 0; /* the partitions moved to base */
    return 0;
}

int fl_nemesis_aim(const fl_faults_config *cfg, int nodes, uint64_t seed, int64_t from_ns,
                   int64_t to_ns, fl_schedule *base)
{
    agen g = {.cfg = cfg, .nodes = nodes, .to_ns = to_ns};
    const int64_t every[A_COUNT] = {cfg->leader_crash_every_ns, cfg->sync_crash_every_ns,
                                    cfg->leader_partition_every_ns,
                                    cfg->restart_partitioned_every_ns, cfg->storm_every_ns};
    for (int k = 0; k < A_COUNT; k++) {
        fl_rng_fork(&g.rng[k], seed, "faults", 16 + (uint64_t)k);
        g.next[k] = next_after(&g.rng[k], from_ns, every[k]);
    }
    g.s = fl_schedule_new_empty(nodes);
    g.perm = malloc((size_t)nodes * sizeof *g.perm);
    int rc = g.s && g.perm ? walk(&g) : FL_ENOMEM;
    if (rc == 0 && base->len + g.s->len + 1 > FL_SCHEDULE_MAX_ENTRIES)
        rc = FL_ELIMIT;
    if (rc == 0)
        rc = merge(base, g.s, g.heal_pending, cfg->window_to_ns > 0 ? to_ns : 0);
    for (size_t i = 0; i < g.nq; i++)
        fl_partition_free(g.q[i].f.part); /* NULL: aimed partitions are built at run time */
    free(g.q);
    free(g.perm);
    fl_schedule_free(g.s);
    return rc;
}

/*
 * raft_observer.c -- the Raft observer (core/faultline.h, fl_raft_check): Raft's safety
 * properties (§5.2, §5.3, §5.4 Figure 3), durability, and liveness after the fault
 * window, for any protocol that shows its node state through a struct fl_raft_adapter.
 * Our Raft and canonical-raft both use it.
 *
 * The observer runs after every step with the node that acted, and only that node's
 * state can have changed, so each check is incremental and costs O(1) plus the entries
 * that are new in the step (found by the entries' `seq`), except when a leader's commit
 * advances (O(N), the same order as the leader's own quorum computation).  Logs are
 * compared through a hash chain the observer keeps per node (chain[i] hashes entry i
 * and chain[i - 1]): equal chains at index i mean equal logs up to i, so one comparison
 * stands for a whole prefix.
 *
 * Memory for the whole run, across crashes: every (term, leader) ever; every (index,
 * term) ever seen with its prefix hash; the committed prefix's hash chain; per node its
 * log's hash chain and what it had synced when last seen (a down node's disk holds at
 * least that).
 *
 *   election_safety      at most one leader per term, ever
 *   leader_append_only   a leader never changes or removes entries while in its term
 *   log_matching         same index and term => same log up to there
 *   leader_completeness  a leader of term L holds every entry committed in a term
 *                        below L: checked when it is elected, and for the leader of
 *                        the highest term whenever more entries commit
 *   state_machine_safety every node's committed (hence applied) prefix is the same
 *   durability           every entry a leader committed is synced on a majority; a
 *                        restarted node still has what it had synced
 *   liveness (at end)    after the faults healed, a leader exists and a fresh entry
 *                        (or its whole log) is committed on a majority
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

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t hash_entry(uint64_t prev, uint64_t index, const struct fl_raft_entry *e)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a over the data */
    const uint8_t *p = e->data;
    for (uint32_t i = 0; i < e->len; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    h = mix64(h ^ mix64(e->term + (uint64_t)e->type * UINT64_C(0x9e3779b97f4a7c15)));
    return mix64(prev ^ mix64(h + index));
}

static int init(const fl_cluster *c, struct obs *o, const struct fl_raft_adapter *a)
{
    o->n = fl_cluster_nodes(c);
    o->nodes = calloc((size_t)o->n + 1, sizeof *o->nodes);
    if (!o->nodes)
        return -1;
    o->election_ns = a->election_ns(fl_cluster_params(c));
    o->m.first_leader_ns = -1;
    o->inited = 1;
    return 0;
}

/* ---- election safety ---- */

/* The leader recorded for `term`, or 0; *at is where the term is or would go. */
static int leader_of(const struct obs *o, uint64_t term, size_t *at)
{
    size_t lo = 0, hi = o->nleaders;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->leaders[mid].term == term) {
            *at = mid;
            return o->leaders[mid].leader;
        }
        if (o->leaders[mid].term < term)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

static int record_leader(struct obs *o, uint64_t term, int id)
{
    size_t at;
    int prev = leader_of(o, term, &at);
    if (prev)
        return prev;
    struct obs_term *t = fl_rob_grow(o->leaders, &o->capleaders, o->nleaders + 1, sizeof *t);
    if (!t)
        return -1;
    o->leaders = t;
    memmove(&t[at + 1], &t[at], (o->nleaders - at) * sizeof *t);
    t[at] = (struct obs_term){term, id};
    o->nleaders++;
    return 0;
}

/* ---- log matching ---- */

static int lm_check(struct obs *o, uint64_t index, uint64_t term, uint64_t phash, int node,
                    fl_violation *v)
{
    if (index > o->lm_cap) {
        size_t old = o->lm_cap;
        uint32_t *h = fl_rob_grow(o->lm_head, &o->lm_cap, (size_t)index, sizeof *h);
        if (!h)
            return fl_rob_fail(v, "observer", "out of memory");
        memset(h + old, 0, (o->lm_cap - old) * sizeof *h);
        o->lm_head = h;
    }
    for (uint32_t it = o->lm_head[index - 1]; it; it = o->lm[it - 1].next) {
        const struct obs_lm *e = &o->lm[it - 1];
        if (e->term != term)
            continue;
        if (e->phash == phash)
            return 0;
        return fl_rob_fail(v, "log_matching",
                           "nodes %d and %d both have entry %llu at term %llu, "
                           "but their logs differ up to it",
                           e->node, node, u(index), u(term));
    }
    struct obs_lm *lm = fl_rob_grow(o->lm, &o->caplm, o->nlm + 1, sizeof *lm);
    if (!lm)
        return fl_rob_fail(v, "observer", "out of memory");
    o->lm = lm;
    lm[o->nlm++] = (struct obs_lm){term, phash, o->lm_head[index - 1], node};
    o->lm_head[index - 1] = (uint32_t)o->nlm;
    return 0;
}

/* Bring node r's hash chain up to date with its log: entries from the first new one
 * (seq above seen_seq) are rehashed.  Returns that first index (last + 1: none), or 0
 * when out of memory. */
static uint64_t update_chain(struct obs_node *r, const struct nv *s,
                             const struct fl_raft_adapter *a)
{
    struct fl_raft_entry e;
    uint64_t f = s->v.last_index + 1;
    while (f > 1) {
        a->entry(s->st, f - 1, &e);
        if (e.seq <= r->seen_seq)
            break;
        f--;
    }
    uint64_t *p = fl_rob_grow(r->ph, &r->cap, (size_t)s->v.last_index + 1, sizeof *p);
    if (!p)
        return 0;
    r->ph = p;
    for (uint64_t i = f; i <= s->v.last_index; i++) {
        a->entry(s->st, i, &e);
        r->ph[i - 1] = hash_entry(i > 1 ? r->ph[i - 2] : 0, i, &e);
    }
    r->last = s->v.last_index;
    r->seen_seq = s->v.append_seq;
    return f;
}

/* Check the new entries f..last of node id (log matching) and count proposals. */
static int check_new_entries(struct obs *o, const struct obs_node *r, const struct nv *s,
                             uint64_t f, int id, const struct fl_raft_adapter *a, fl_violation *v)
{
    struct fl_raft_entry e;
    for (uint64_t i = f; i <= s->v.last_index; i++) {
        a->entry(s->st, i, &e);
        if (s->v.role == FL_RAFT_LEADER && e.len > 0 && e.term == s->v.term)
            o->m.proposals++;
        if (lm_check(o, i, e.term, r->ph[i - 1], id, v))
            return 1;
    }
    return 0;
}

/* ---- the committed prefix ---- */

/* The first index in [1, hi] where r's log departs from the committed chain (hi must
 * be such an index or r->last + 1); the chain makes "departs" monotone. */
static uint64_t first_diff(const struct obs *o, const struct obs_node *r, uint64_t hi)
{
    uint64_t lo = 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (mid > r->last || r->ph[mid - 1] != o->gc[mid - 1])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Does r hold every committed entry up to k? */
static int holds_prefix(const struct obs *o, const struct obs_node *r, uint64_t k)
{
    return k == 0 || (r->last >= k && r->ph[k - 1] == o->gc[k - 1]);
}

/* The largest committed index known committed in a term below `term` (gc_ct is
 * non-decreasing, so that is a prefix): §5.4's Leader Completeness requires a leader of
 * `term` to hold it.  Entries committed in its own term or later need not be there. */
static uint64_t committed_before(const struct obs *o, uint64_t term)
{
    uint64_t lo = 0, hi = o->gmax;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (o->gc_ct[mid - 1] < term)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int missing(const struct obs *o, const struct obs_node *r, uint64_t k, const char *what,
                   int id, fl_violation *v)
{
    uint64_t i = first_diff(o, r, k);
    return fl_rob_fail(v, "leader_completeness",
                       "node %d %s: entry %llu (term %llu), committed "
                       "in term %llu, is %s its log",
                       id, what, u(i), u(o->gc_term[i - 1]), u(o->gc_ct[i - 1]),
                       i > r->last ? "missing from" : "replaced in");
}

/* Leader completeness when more entries commit: the leader of the highest term ever
 * must hold those committed in an earlier term (it was elected by a majority that
 * includes one of their holders, which would not have voted for a shorter log). */
static int check_newest_leader(const fl_cluster *c, const struct obs *o,
                               const struct fl_raft_adapter *a, fl_violation *v)
{
    if (o->nleaders == 0)
        return 0;
    const struct obs_term *t = &o->leaders[o->nleaders - 1];
    struct nv s;
    if (!fl_rob_node(c, a, t->leader, &s) || s.v.role != FL_RAFT_LEADER || s.v.term != t->term)
        return 0;
    const struct obs_node *r = &o->nodes[t->leader];
    uint64_t k = committed_before(o, t->term);
    if (holds_prefix(o, r, k))
        return 0;
    char what[64];
    snprintf(what, sizeof what, "(leader of term %llu)", u(t->term));
    return missing(o, r, k, what, t->leader, v);
}

static int grow_committed(struct obs *o, uint64_t cm)
{
    size_t cap = o->gc_cap, cap2 = o->gc_cap, cap3 = o->gc_cap;
    uint64_t *g = fl_rob_grow(o->gc, &cap, (size_t)cm, sizeof *g);
    if (g)
        o->gc = g;
    uint64_t *gt = g ? fl_rob_grow(o->gc_term, &cap2, (size_t)cm, sizeof *gt) : NULL;
    if (gt)
        o->gc_term = gt;
    uint64_t *ct = gt ? fl_rob_grow(o->gc_ct, &cap3, (size_t)cm, sizeof *ct) : NULL;
    if (!ct)
        return -1;
    o->gc_ct = ct;
    o->gc_cap = cap3;
    return 0;
}

/* s's commit index says its prefix was committed by the time of its term: lower the
 * recorded commit terms to keep the tightest (still non-decreasing) bound. */
static void note_commit_term(struct obs *o, uint64_t k, uint64_t term)
{
    for (uint64_t i = k; i >= 1 && o->gc_ct[i - 1] > term; i--)
        o->gc_ct[i - 1] = term;
}

static int check_commit(const fl_cluster *c, struct obs *o, const struct obs_node *r,
                        const struct nv *s, int id, const struct fl_raft_adapter *a,
                        fl_violation *v)
{
    struct fl_raft_entry e;
    uint64_t cm = s->v.commit;
    if (cm > s->v.last_index)
        return fl_rob_fail(v, "state_machine_safety",
                           "node %d commit index %llu is beyond its "
                           "last index %llu",
                           id, u(cm), u(s->v.last_index));
    uint64_t k = cm < o->gmax ? cm : o->gmax;
    if (!holds_prefix(o, r, k)) {
        uint64_t i = first_diff(o, r, k);
        a->entry(s->st, i, &e);
        return fl_rob_fail(v, "state_machine_safety",
                           "node %d committed entry %llu at term %llu, "
                           "but entry %llu was committed elsewhere at term %llu",
                           id, u(i), u(e.term), u(i), u(o->gc_term[i - 1]));
    }
    note_commit_term(o, k, s->v.term);
    if (cm <= o->gmax)
        return 0;
    if (grow_committed(o, cm) != 0)
        return fl_rob_fail(v, "observer", "out of memory");
    for (uint64_t i = o->gmax + 1; i <= cm; i++) {
        a->entry(s->st, i, &e);
        o->gc[i - 1] = r->ph[i - 1];
        o->gc_term[i - 1] = e.term;
        o->gc_ct[i - 1] = s->v.term;
    }
    o->gmax = cm;
    return check_newest_leader(c, o, a, v);
}

/* ---- roles: elections, leaders ---- */

static int check_new_leader(const fl_cluster *c, struct obs *o, const struct obs_node *r,
                            const struct nv *s, int id, fl_violation *v)
{
    int prev = record_leader(o, s->v.term, id);
    if (prev < 0)
        return fl_rob_fail(v, "observer", "out of memory");
    if (prev && prev != id)
        return fl_rob_fail(v, "election_safety", "nodes %d and %d were both leader of term %llu",
                           prev, id, u(s->v.term));
    o->m.leaders++;
    if (o->last_leader && o->last_leader != id)
        o->m.leader_changes++;
    o->last_leader = id;
    if (o->m.first_leader_ns < 0)
        o->m.first_leader_ns = fl_cluster_now(c);
    uint64_t k = committed_before(o, s->v.term);
    if (holds_prefix(o, r, k))
        return 0;
    char what[64];
    snprintf(what, sizeof what, "became leader of term %llu", u(s->v.term));
    return missing(o, r, k, what, id, v);
}

static int check_roles(const fl_cluster *c, struct obs *o, const struct obs_node *r,
                       const struct nv *s, int id, int fresh, fl_violation *v)
{
    if ((int64_t)s->v.term > o->m.max_term)
        o->m.max_term = (int64_t)s->v.term;
    if (!fresh && r->role == s->v.role && r->term == s->v.term)
        return 0;
    if (s->v.role == FL_RAFT_CANDIDATE)
        o->m.elections++;
    return s->v.role == FL_RAFT_LEADER ? check_new_leader(c, o, r, s, id, v) : 0;
}

/* ---- durability ---- */

static int node_holds(const fl_cluster *c, const struct obs *o, const struct fl_raft_adapter *a,
                      int id)
{
    uint64_t d = o->dmax;
    const struct obs_node *r = &o->nodes[id];
    struct nv s;
    if (fl_rob_node(c, a, id, &s))
        return s.v.stable >= d && r->last >= d && r->ph[d - 1] == o->gc[d - 1];
    return r->seen && r->stable >= d && r->last >= d && r->ph[d - 1] == o->gc[d - 1];
}

/* §5.4 relies on it: an entry a leader committed is on the disks of a majority.  The
 * count of such nodes changes when the leader commits more (all nodes recounted) or
 * when the acting node's own log or disk changes. */
static int check_durability(const fl_cluster *c, struct obs *o, struct obs_node *r,
                            const struct nv *s, int id, int was_leader,
                            const struct fl_raft_adapter *a, fl_violation *v)
{
    if (was_leader && s->v.role == FL_RAFT_LEADER && s->v.commit > o->dmax) {
        o->m.commits += (int64_t)(s->v.commit - o->dmax);
        o->dmax = s->v.commit;
        o->holders = 0;
        for (int i = 1; i <= o->n; i++) {
            o->nodes[i].holds = node_holds(c, o, a, i);
            o->holders += o->nodes[i].holds;
        }
    } else if (o->dmax > 0) {
        int h = node_holds(c, o, a, id);
        o->holders += h - r->holds;
        r->holds = h;
    }
    if (o->dmax == 0 || o->holders >= fl_rob_majority(o))
        return 0;
    return fl_rob_fail(v, "durability",
                       "entry %llu (term %llu), committed by a leader, is synced "
                       "on %d of %d nodes (a majority is %d)",
                       u(o->dmax), u(o->gc_term[o->dmax - 1]), o->holders, o->n,
                       fl_rob_majority(o));
}

/* The node's chain before this step, at the points the next two checks compare. */
struct before {
    uint64_t last, stable, ph_last, ph_stable;
    int seen;
};

/* A restarted node must have replayed at least what it had synced. */
static int check_restart(const struct before *b, const struct obs_node *r, int id, fl_violation *v)
{
    uint64_t k = b->stable;
    if (!b->seen || k == 0 || (r->last >= k && r->ph[k - 1] == b->ph_stable))
        return 0;
    return fl_rob_fail(v, "durability",
                       "node %d restarted with %llu entries, but it had synced "
                       "entries 1..%llu",
                       id, u(r->last), u(k));
}

static int check_append_only(const struct before *b, const struct obs_node *r, const struct nv *s,
                             int id, fl_violation *v)
{
    if (r->role != FL_RAFT_LEADER || s->v.role != FL_RAFT_LEADER || r->term != s->v.term)
        return 0;
    if (r->last >= b->last && (b->last == 0 || r->ph[b->last - 1] == b->ph_last))
        return 0;
    return fl_rob_fail(v, "leader_append_only",
                       "leader %d of term %llu changed its log: it had "
                       "%llu entries, now %llu",
                       id, u(s->v.term), u(b->last), u(r->last));
}

/* ---- liveness ---- */

static void note_quiet(const fl_cluster *c, struct obs *o)
{
    int64_t q = fl_cluster_quiet_since(c);
    if (o->quiet_seen || q < 0 || fl_cluster_now(c) < q)
        return;
    o->quiet_seen = 1;
    for (int i = 1; i <= o->n; i++)
        if (o->nodes[i].last > o->quiet_last)
            o->quiet_last = o->nodes[i].last;
}

static struct before before_of(const struct obs_node *r)
{
    struct before b = {r->last, r->stable, 0, 0, r->seen};
    if (r->seen && b.last > 0)
        b.ph_last = r->ph[b.last - 1];
    if (r->seen && b.stable > 0 && b.stable <= r->last)
        b.ph_stable = r->ph[b.stable - 1];
    return b;
}

int fl_raft_check(const fl_cluster *c, void *observer, int node, const struct fl_raft_adapter *a,
                  fl_violation *v)
{
    struct obs *o = observer;
    if (!o->inited && init(c, o, a) != 0)
        return fl_rob_fail(v, "observer", "out of memory");
    note_quiet(c, o);
    if (node < 1 || node > o->n)
        return 0;
    struct obs_node *r = &o->nodes[node];
    struct nv s;
    if (!fl_rob_node(c, a, node, &s)) {
        r->sp = NULL;
        return 0;
    }
    int fresh = !r->seen || r->sp != s.st || r->started_ns != s.v.started_ns ||
                s.v.append_seq < r->seen_seq;
    struct before b = before_of(r);
    if (fresh)
        r->seen_seq = 0;
    uint64_t f = update_chain(r, &s, a);
    if (f == 0)
        return fl_rob_fail(v, "observer", "out of memory");
    if (fresh && check_restart(&b, r, node, v))
        return 1;
    if (!fresh && check_append_only(&b, r, &s, node, v))
        return 1;
    int was_leader = !fresh && r->role == FL_RAFT_LEADER && r->term == s.v.term;
    if (check_new_entries(o, r, &s, f, node, a, v) || check_commit(c, o, r, &s, node, a, v) ||
        check_roles(c, o, r, &s, node, fresh, v))
        return 1;
    r->stable = s.v.stable;
    r->sp = s.st;
    r->started_ns = s.v.started_ns;
    r->term = s.v.term;
    r->role = s.v.role;
    r->seen = 1;
    return check_durability(c, o, r, &s, node, was_leader, a, v);
}

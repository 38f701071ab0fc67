/*
 * raft_check.c -- the observer: Raft's safety properties (§5.2, §5.3, §5.4 Figure 3),
 * durability, and liveness after the fault window.
 *
 * The observer runs after every step with the node that acted, and only that node's
 * state can have changed, so each check is incremental and costs O(1) plus the entries
 * that are new in the step (found by the entries' `seq`), except when a leader's commit
 * advances (O(N), the same order as the leader's own quorum computation).  Logs are
 * compared through the entries' hash chain (raft_log.c): equal `phash` at index i means
 * equal logs up to i, so one comparison stands for a whole prefix.
 *
 * Memory for the whole run, across crashes: every (term, leader) ever; every (index,
 * term) ever seen with its prefix hash; the committed prefix's hash chain; per node a
 * shadow of its log's hash chain and what it had synced when last seen (a down node's
 * disk holds at least that).
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

#include "sim/protocols/raft/raft.h"

static unsigned long long u(uint64_t v)
{
    return (unsigned long long)v;
}

static int fail(fl_violation *v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(fl_violation *v, const char *check, const char *fmt, ...)
{
    va_list ap;
    snprintf(v->check, sizeof v->check, "%s", check);
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
    return 1;
}

static uint64_t ph(const struct fr_state *s, uint64_t i)
{
    return s->ents[i - 1].phash;
}

static int majority(const struct fr_obs *o)
{
    return o->n / 2 + 1;
}

static int init(const fl_cluster *c, struct fr_obs *o)
{
    struct fr_params p;
    char err[256];
    o->n = fl_cluster_nodes(c);
    o->nodes = calloc((size_t)o->n + 1, sizeof *o->nodes);
    if (!o->nodes)
        return -1;
    if (fr_params_parse(fl_cluster_params(c), &p, err, sizeof err) != 0)
        fr_params_parse(NULL, &p, err, sizeof err);
    o->election_ns = p.election_ns;
    o->m.first_leader_ns = -1;
    o->inited = 1;
    return 0;
}

/* ---- election safety ---- */

/* The leader recorded for `term`, or 0; *at is where the term is or would go. */
static int leader_of(const struct fr_obs *o, uint64_t term, size_t *at)
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

static int record_leader(struct fr_obs *o, uint64_t term, int id)
{
    size_t at;
    int prev = leader_of(o, term, &at);
    if (prev)
        return prev;
    struct fr_obs_term *t = fr_grow(o->leaders, &o->capleaders, o->nleaders + 1, sizeof *t);
    if (!t)
        return -1;
    o->leaders = t;
    memmove(&t[at + 1], &t[at], (o->nleaders - at) * sizeof *t);
    t[at] = (struct fr_obs_term){term, id};
    o->nleaders++;
    return 0;
}

/* ---- log matching ---- */

static int lm_check(struct fr_obs *o, uint64_t index, uint64_t term, uint64_t phash, int node,
                    fl_violation *v)
{
    if (index > o->lm_cap) {
        size_t old = o->lm_cap;
        uint32_t *h = fr_grow(o->lm_head, &o->lm_cap, (size_t)index, sizeof *h);
        if (!h)
            return fail(v, "observer", "out of memory");
        memset(h + old, 0, (o->lm_cap - old) * sizeof *h);
        o->lm_head = h;
    }
    for (uint32_t it = o->lm_head[index - 1]; it; it = o->lm[it - 1].next) {
        const struct fr_obs_lm *e = &o->lm[it - 1];
        if (e->term != term)
            continue;
        if (e->phash == phash)
            return 0;
        return fail(v, "log_matching",
                    "nodes %d and %d both have entry %llu at term %llu, "
                    "but their logs differ up to it",
                    e->node, node, u(index), u(term));
    }
    struct fr_obs_lm *lm = fr_grow(o->lm, &o->caplm, o->nlm + 1, sizeof *lm);
    if (!lm)
        return fail(v, "observer", "out of memory");
    o->lm = lm;
    lm[o->nlm++] = (struct fr_obs_lm){term, phash, o->lm_head[index - 1], node};
    o->lm_head[index - 1] = (uint32_t)o->nlm;
    return 0;
}

/* Bring the shadow of node id's hash chain up to date and check the new entries. */
static int update_shadow(struct fr_obs *o, struct fr_obs_node *r, const struct fr_state *s, int id,
                         fl_violation *v)
{
    uint64_t f = s->last + 1;
    while (f > 1 && s->ents[f - 2].seq > r->seen_seq)
        f--;
    uint64_t *p = fr_grow(r->ph, &r->cap, (size_t)s->last + 1, sizeof *p);
    if (!p)
        return fail(v, "observer", "out of memory");
    r->ph = p;
    for (uint64_t i = f; i <= s->last; i++) {
        const struct fr_entry *e = &s->ents[i - 1];
        r->ph[i - 1] = e->phash;
        if (s->role == FR_LEADER && e->len > 0 && e->term == s->term)
            o->m.proposals++;
        if (lm_check(o, i, e->term, e->phash, id, v))
            return 1;
    }
    r->last = s->last;
    r->seen_seq = s->append_seq;
    return 0;
}

/* ---- the committed prefix ---- */

/* The first index in [1, hi] where s's log departs from the committed chain (hi must
 * be such an index or s->last + 1); the chain makes "departs" monotone. */
static uint64_t first_diff(const struct fr_obs *o, const struct fr_state *s, uint64_t hi)
{
    uint64_t lo = 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (mid > s->last || ph(s, mid) != o->gc[mid - 1])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Does s hold every committed entry up to k? */
static int holds_prefix(const struct fr_obs *o, const struct fr_state *s, uint64_t k)
{
    return k == 0 || (s->last >= k && ph(s, k) == o->gc[k - 1]);
}

/* The largest committed index known committed in a term below `term` (gc_ct is
 * non-decreasing, so that is a prefix): §5.4's Leader Completeness requires a leader of
 * `term` to hold it.  Entries committed in its own term or later need not be there. */
static uint64_t committed_before(const struct fr_obs *o, uint64_t term)
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

static int missing(const struct fr_obs *o, const struct fr_state *s, uint64_t k, const char *what,
                   int id, fl_violation *v)
{
    uint64_t i = first_diff(o, s, k);
    return fail(v, "leader_completeness",
                "node %d %s: entry %llu (term %llu), committed "
                "in term %llu, is %s its log",
                id, what, u(i), u(o->gc_term[i - 1]), u(o->gc_ct[i - 1]),
                i > s->last ? "missing from" : "replaced in");
}

/* Leader completeness when more entries commit: the leader of the highest term ever
 * must hold those committed in an earlier term (it was elected by a majority that
 * includes one of their holders, which would not have voted for a shorter log). */
static int check_newest_leader(const fl_cluster *c, const struct fr_obs *o, fl_violation *v)
{
    if (o->nleaders == 0)
        return 0;
    const struct fr_obs_term *t = &o->leaders[o->nleaders - 1];
    const struct fr_state *s = fl_cluster_state(c, t->leader);
    if (!s || s->role != FR_LEADER || s->term != t->term)
        return 0;
    uint64_t k = committed_before(o, t->term);
    if (holds_prefix(o, s, k))
        return 0;
    char what[64];
    snprintf(what, sizeof what, "(leader of term %llu)", u(t->term));
    return missing(o, s, k, what, t->leader, v);
}

static int grow_committed(struct fr_obs *o, uint64_t cm)
{
    size_t cap = o->gc_cap, cap2 = o->gc_cap, cap3 = o->gc_cap;
    uint64_t *g = fr_grow(o->gc, &cap, (size_t)cm, sizeof *g);
    if (g)
        o->gc = g;
    uint64_t *gt = g ? fr_grow(o->gc_term, &cap2, (size_t)cm, sizeof *gt) : NULL;
    if (gt)
        o->gc_term = gt;
    uint64_t *ct = gt ? fr_grow(o->gc_ct, &cap3, (size_t)cm, sizeof *ct) : NULL;
    if (!ct)
        return -1;
    o->gc_ct = ct;
    o->gc_cap = cap3;
    return 0;
}

/* s's commit index says its prefix was committed by the time of its term: lower the
 * recorded commit terms to keep the tightest (still non-decreasing) bound. */
static void note_commit_term(struct fr_obs *o, uint64_t k, uint64_t term)
{
    for (uint64_t i = k; i >= 1 && o->gc_ct[i - 1] > term; i--)
        o->gc_ct[i - 1] = term;
}

static int check_commit(const fl_cluster *c, struct fr_obs *o, const struct fr_state *s, int id,
                        fl_violation *v)
{
    uint64_t cm = s->commit;
    if (cm > s->last)
        return fail(v, "state_machine_safety",
                    "node %d commit index %llu is beyond its "
                    "last index %llu",
                    id, u(cm), u(s->last));
    uint64_t k = cm < o->gmax ? cm : o->gmax;
    if (!holds_prefix(o, s, k)) {
        uint64_t i = first_diff(o, s, k);
        return fail(v, "state_machine_safety",
                    "node %d committed entry %llu at term %llu, "
                    "but entry %llu was committed elsewhere at term %llu",
                    id, u(i), u(s->ents[i - 1].term), u(i), u(o->gc_term[i - 1]));
    }
    note_commit_term(o, k, s->term);
    if (cm <= o->gmax)
        return 0;
    if (grow_committed(o, cm) != 0)
        return fail(v, "observer", "out of memory");
    for (uint64_t i = o->gmax + 1; i <= cm; i++) {
        o->gc[i - 1] = ph(s, i);
        o->gc_term[i - 1] = s->ents[i - 1].term;
        o->gc_ct[i - 1] = s->term;
    }
    o->gmax = cm;
    return check_newest_leader(c, o, v);
}

/* ---- roles: elections, leaders ---- */

static int check_new_leader(const fl_cluster *c, struct fr_obs *o, const struct fr_state *s, int id,
                            fl_violation *v)
{
    int prev = record_leader(o, s->term, id);
    if (prev < 0)
        return fail(v, "observer", "out of memory");
    if (prev && prev != id)
        return fail(v, "election_safety", "nodes %d and %d were both leader of term %llu", prev, id,
                    u(s->term));
    o->m.leaders++;
    if (o->last_leader && o->last_leader != id)
        o->m.leader_changes++;
    o->last_leader = id;
    if (o->m.first_leader_ns < 0)
        o->m.first_leader_ns = fl_cluster_now(c);
    uint64_t k = committed_before(o, s->term);
    if (holds_prefix(o, s, k))
        return 0;
    char what[64];
    snprintf(what, sizeof what, "became leader of term %llu", u(s->term));
    return missing(o, s, k, what, id, v);
}

static int check_roles(const fl_cluster *c, struct fr_obs *o, const struct fr_obs_node *r,
                       const struct fr_state *s, int id, int fresh, fl_violation *v)
{
    if ((int64_t)s->term > o->m.max_term)
        o->m.max_term = (int64_t)s->term;
    if (!fresh && r->role == s->role && r->term == s->term)
        return 0;
    if (s->role == FR_CANDIDATE)
        o->m.elections++;
    return s->role == FR_LEADER ? check_new_leader(c, o, s, id, v) : 0;
}

/* ---- durability ---- */

static int node_holds(const fl_cluster *c, const struct fr_obs *o, int id)
{
    uint64_t d = o->dmax;
    const struct fr_state *s = fl_cluster_state(c, id);
    const struct fr_obs_node *r = &o->nodes[id];
    if (s)
        return s->stable >= d && s->last >= d && ph(s, d) == o->gc[d - 1];
    return r->seen && r->stable >= d && r->last >= d && r->ph[d - 1] == o->gc[d - 1];
}

/* §5.4 relies on it: an entry a leader committed is on the disks of a majority.  The
 * count of such nodes changes when the leader commits more (all nodes recounted) or
 * when the acting node's own log or disk changes. */
static int check_durability(const fl_cluster *c, struct fr_obs *o, struct fr_obs_node *r,
                            const struct fr_state *s, int id, int was_leader, fl_violation *v)
{
    if (was_leader && s->role == FR_LEADER && s->commit > o->dmax) {
        o->m.commits += (int64_t)(s->commit - o->dmax);
        o->dmax = s->commit;
        o->holders = 0;
        for (int i = 1; i <= o->n; i++) {
            o->nodes[i].holds = node_holds(c, o, i);
            o->holders += o->nodes[i].holds;
        }
    } else if (o->dmax > 0) {
        int h = node_holds(c, o, id);
        o->holders += h - r->holds;
        r->holds = h;
    }
    if (o->dmax == 0 || o->holders >= majority(o))
        return 0;
    return fail(v, "durability",
                "entry %llu (term %llu), committed by a leader, is synced "
                "on %d of %d nodes (a majority is %d)",
                u(o->dmax), u(o->gc_term[o->dmax - 1]), o->holders, o->n, majority(o));
}

/* A restarted node must have replayed at least what it had synced. */
static int check_restart(const struct fr_obs_node *r, const struct fr_state *s, int id,
                         fl_violation *v)
{
    uint64_t k = r->stable;
    if (!r->seen || k == 0 || (s->last >= k && ph(s, k) == r->ph[k - 1]))
        return 0;
    return fail(v, "durability",
                "node %d restarted with %llu entries, but it had synced "
                "entries 1..%llu",
                id, u(s->last), u(k));
}

static int check_append_only(const struct fr_obs_node *r, const struct fr_state *s, int id,
                             fl_violation *v)
{
    if (r->role != FR_LEADER || s->role != FR_LEADER || r->term != s->term)
        return 0;
    if (s->last >= r->last && (r->last == 0 || ph(s, r->last) == r->ph[r->last - 1]))
        return 0;
    return fail(v, "leader_append_only",
                "leader %d of term %llu changed its log: it had "
                "%llu entries, now %llu",
                id, u(s->term), u(r->last), u(s->last));
}

/* ---- liveness ---- */

static void note_quiet(const fl_cluster *c, struct fr_obs *o)
{
    int64_t q = fl_cluster_quiet_since(c);
    if (o->quiet_seen || q < 0 || fl_cluster_now(c) < q)
        return;
    o->quiet_seen = 1;
    for (int i = 1; i <= o->n; i++)
        if (o->nodes[i].last > o->quiet_last)
            o->quiet_last = o->nodes[i].last;
}

int fr_check(const fl_cluster *c, void *observer, int node, fl_violation *v)
{
    struct fr_obs *o = observer;
    if (!o->inited && init(c, o) != 0)
        return fail(v, "observer", "out of memory");
    note_quiet(c, o);
    if (node < 1 || node > o->n)
        return 0;
    struct fr_obs_node *r = &o->nodes[node];
    const struct fr_state *s = fl_cluster_state(c, node);
    if (!s) {
        r->sp = NULL;
        return 0;
    }
    int fresh =
        !r->seen || r->sp != s || r->started_ns != s->started_ns || s->append_seq < r->seen_seq;
    if (fresh && check_restart(r, s, node, v))
        return 1;
    if (fresh)
        r->seen_seq = 0;
    else if (check_append_only(r, s, node, v))
        return 1;
    int was_leader = !fresh && r->role == FR_LEADER && r->term == s->term;
    if (update_shadow(o, r, s, node, v) || check_commit(c, o, s, node, v) ||
        check_roles(c, o, r, s, node, fresh, v))
        return 1;
    r->stable = s->stable;
    r->sp = s;
    r->started_ns = s->started_ns;
    r->term = s->term;
    r->role = s->role;
    r->seen = 1;
    return check_durability(c, o, r, s, node, was_leader, v);
}

/* The leader of the highest term among the nodes that are up, or 0. */
static int current_leader(const fl_cluster *c, const struct fr_obs *o, uint64_t *term)
{
    int leader = 0;
    *term = 0;
    for (int i = 1; i <= o->n; i++) {
        const struct fr_state *s = fl_cluster_state(c, i);
        if (!s || s->term < *term)
            continue;
        if (s->term > *term)
            leader = 0;
        *term = s->term;
        if (s->role == FR_LEADER)
            leader = i;
    }
    return leader;
}

int fr_check_end(const fl_cluster *c, void *observer, fl_violation *v)
{
    struct fr_obs *o = observer;
    int64_t q = fl_cluster_quiet_since(c), now = fl_cluster_now(c);
    /* Ten election timeouts cover several split votes and the catch-up after them. */
    if (!o->inited || q < 0 || now - q < 10 * o->election_ns)
        return 0;
    uint64_t term;
    int leader = current_leader(c, o, &term);
    double quiet_s = (double)(now - q) / 1e9;
    if (!leader)
        return fail(v, "liveness",
                    "no leader %.3fs after the faults healed (highest term "
                    "%llu)",
                    quiet_s, u(term));
    const struct fr_state *ls = fl_cluster_state(c, leader);
    uint64_t fresh = o->quiet_seen ? o->quiet_last + 1 : 1;
    int fresh_ok = 0, caught_up = 0;
    for (int i = 1; i <= o->n; i++) {
        const struct fr_state *s = fl_cluster_state(c, i);
        fresh_ok += s && s->commit >= fresh;
        caught_up += s && s->commit >= ls->last;
    }
    if (fresh_ok >= majority(o) || (ls->commit == ls->last && caught_up >= majority(o)))
        return 0;
    return fail(v, "liveness",
                "leader %d of term %llu: no entry after index %llu is "
                "committed on a majority %.3fs after the faults healed (leader commit %llu, "
                "last %llu)",
                leader, u(term), u(fresh - 1), quiet_s, u(ls->commit), u(ls->last));
}

void fr_observer_free(void *observer)
{
    struct fr_obs *o = observer;
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

void fr_report(const fl_cluster *c, void *observer)
{
    const struct fr_metrics *m = fr_observer_metrics(observer);
    if (!m)
        return;
    fl_cluster_metric_set(c, "raft.elections", m->elections);
    fl_cluster_metric_set(c, "raft.leaders", m->leaders);
    fl_cluster_metric_set(c, "raft.leader_changes", m->leader_changes);
    fl_cluster_metric_set(c, "raft.proposals", m->proposals);
    fl_cluster_metric_set(c, "raft.commits", m->commits);
    fl_cluster_metric_set(c, "raft.max_term", m->max_term);
    if (m->first_leader_ns >= 0)
        fl_cluster_metric_set(c, "raft.first_leader_ns", m->first_leader_ns);
}

const struct fr_metrics *fr_observer_metrics(const void *observer)
{
    const struct fr_obs *o = observer;
    return o && o->inited ? &o->m : NULL;
}

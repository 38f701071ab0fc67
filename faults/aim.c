/*
 * aim.c -- binding aimed entries to their target when they fire (issue 16).
 *
 * A selector is resolved from the nodes' `role` snapshot key (docs/writing-a-protocol.md:
 * "leader", "follower", "candidate"), read when the entry's step runs.  Several nodes may
 * call themselves leader (a deposed one in a minority); the one with the highest `term`
 * is the leader, the lowest id among equals.  Random choices (follower, random-up, the
 * companions of an isolated node) are keyed by (seed, entry), never drawn from a stream,
 * so they move nothing else.  "last-leader" is the leader the fault layer saw last: each
 * entry of a schedule that has a "last-leader" selector looks at the roles before it
 * acts, and so does every selector that looks for the leader.
 *
 * A sync crash arms at its time and waits for a sync of a matching node whose
 * completion falls within its window: the world's sync hook tells of each sync as it is
 * requested, with the time it completes, and the crash is scheduled at that time minus
 * 1 ns ("before": the sync is still pending and is lost) or at that time ("after": it
 * runs just after the synced step).  A window that passes without a sync is reached and
 * took no effect (a deadline event that never becomes a step says so).
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/rng.h"
#include "faults/apply_int.h"
#include "faults/schedule_int.h"

/* role of node from its snapshot: FL_RAFT_* (anything else: follower), or -1 when the
 * node is down or has no snapshot; *term its "term" (0 when absent). */
static int role_of(const fl_world *w, int node, double *term)
{
    cJSON *s = fl_world_snapshot(w, node);
    if (!s)
        return -1;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "role");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "term");
    int role = FL_RAFT_FOLLOWER;
    if (cJSON_IsString(r) && strcmp(r->valuestring, "leader") == 0)
        role = FL_RAFT_LEADER;
    else if (cJSON_IsString(r) && strcmp(r->valuestring, "candidate") == 0)
        role = FL_RAFT_CANDIDATE;
    *term = cJSON_IsNumber(t) ? t->valuedouble : 0;
    cJSON_Delete(s);
    return role;
}

/* The leader now (0: none), remembered as the last leader when there is one. */
static int leader_now(fl_faults *f)
{
    int best = 0;
    double best_term = -1, term;
    for (int id = 1; id <= fl_world_nodes(f->w); id++)
        if (role_of(f->w, id, &term) == FL_RAFT_LEADER && term > best_term)
            best = id, best_term = term;
    if (best)
        f->last_leader = best;
    return best;
}

void fl_aim_look(fl_faults *f)
{
    if (f->wants_last_leader) /* a snapshot of every node: only when someone asks */
        (void)leader_now(f);
}

/* The k-th (0-based) node among 1..N that pred accepts, k keyed by (seed, entry). */
static int pick_keyed(fl_faults *f, size_t i, int (*pred)(fl_faults *, int))
{
    int n = fl_world_nodes(f->w), count = 0;
    for (int id = 1; id <= n; id++)
        count += pred(f, id);
    if (count == 0)
        return 0;
    fl_rng r;
    fl_rng_keyed(&r, fl_world_seed(f->w), "select", (uint64_t)i, 0, 0);
    int k = (int)fl_rng_below(&r, (uint64_t)count);
    for (int id = 1; id <= n; id++)
        if (pred(f, id) && k-- == 0)
            return id;
    FL_ASSERT(!"unreachable");
    return 0;
}

static int is_follower(fl_faults *f, int id)
{
    double term;
    return role_of(f->w, id, &term) == FL_RAFT_FOLLOWER;
}

static int is_up(fl_faults *f, int id)
{
    return fl_world_node_up(f->w, id);
}

int fl_aim_resolve(fl_faults *f, size_t i, const fl_fault *e)
{
    switch (e->select) {
    case FL_SELECT_NONE:
        return e->node;
    case FL_SELECT_LEADER:
        return leader_now(f);
    case FL_SELECT_FOLLOWER:
        return pick_keyed(f, i, is_follower);
    case FL_SELECT_RANDOM_UP:
        return pick_keyed(f, i, is_up);
    case FL_SELECT_LAST_LEADER:
        (void)leader_now(f);
        return f->last_leader;
    case FL_SELECT_ENTRY: {
        size_t k = e->select_entry - 1;
        FL_ASSERT(k < i);
        return (f->mark[k] & FL_MARK_EFFECTIVE) ? f->target[k] : 0;
    }
    default:
        FL_ASSERT(!"unknown selector");
        return 0;
    }
}

fl_partition *fl_aim_build_partition(fl_faults *f, size_t i, const fl_fault *e, int target)
{
    int n = fl_world_nodes(f->w);
    fl_partition *p = fl_partition_new(n, 0, e->timer);
    if (!p)
        return NULL;
    for (int id = 1; id <= n; id++)
        p->group_of[id] = id == target ? 0 : 1;
    /* e->with companions among the others, a keyed partial shuffle of them */
    int32_t *others = malloc((size_t)n * sizeof *others);
    FL_ASSERT(others != NULL);
    int m = 0;
    for (int id = 1; id <= n; id++)
        if (id != target)
            others[m++] = id;
    fl_rng r;
    fl_rng_keyed(&r, fl_world_seed(f->w), "isolate", (uint64_t)i, 0, 0);
    for (int k = 0; k < e->with && k < m - 1; k++) {
        int j = k + (int)fl_rng_below(&r, (uint64_t)(m - k));
        int32_t t = others[k];
        others[k] = others[j];
        others[j] = t;
        p->group_of[others[k]] = 0;
    }
    free(others);
    p->ngroups = 2;
    if (fl_partition_finish(p) != 0) {
        fl_partition_free(p);
        return NULL;
    }
    return p;
}

/* ---- sync crashes ---- */

/* Does node, which just asked for a sync, match sync crash e?  The selector binds
 * once, at the first sync after the entry's time (a snapshot of every node then, not
 * at every sync): the leader then, a follower then; "random-up" is whichever node
 * syncs first. */
static int sync_target(fl_faults *f, size_t k, size_t i, const fl_fault *e, int node)
{
    if (e->select == FL_SELECT_NONE)
        return node == e->node;
    if (e->select == FL_SELECT_RANDOM_UP)
        return 1;
    if (f->sync_bound[k] == 0)
        f->sync_bound[k] = fl_aim_resolve(f, i, e); /* 0 again: no target yet, try later */
    return node == f->sync_bound[k];
}

static void on_sync(void *ctx, fl_world *w, int node, uint64_t sync_id, int64_t done_ns)
{
    fl_faults *f = ctx;
    int64_t now = fl_world_now(w);
    while (f->sync_lo < f->nsync && f->sync_state[f->sync_lo] != FL_SYNC_ARMED)
        f->sync_lo++; /* the done ones, in time order, never count again */
    for (size_t k = f->sync_lo; k < f->nsync; k++) {
        size_t i = f->sync_entries[k];
        const fl_fault *e = fl_schedule_entry(f->s, i);
        if (e->at_ns > now)
            break; /* in time order: the rest are not armed yet */
        if (f->sync_state[k] != FL_SYNC_ARMED || done_ns > e->at_ns + e->within_ns)
            continue;
        int64_t at = e->sync == FL_SYNC_BEFORE ? done_ns - 1 : done_ns;
        if (at < now || (e->sync_id && e->sync_id != sync_id) || !sync_target(f, k, i, e, node))
            continue;
        if (fl_world_at(w, at, FL_STEP_CRASH, node, fl_faults_act, f, i) != 0)
            continue;
        f->sync_state[k] = FL_SYNC_TRIGGERED;
        f->target[i] = node;
        f->sync_done[i] = done_ns;
        f->sync_ids[i] = sync_id;
    }
}

/* The window of sync crash k has passed: without a sync, it is reached and did nothing.
 * Never a step (always "skip"). */
static int sync_deadline(void *ctx, uint64_t arg)
{
    fl_faults *f = ctx;
    size_t k = (size_t)arg;
    if (f->sync_state[k] == FL_SYNC_ARMED) {
        f->sync_state[k] = FL_SYNC_EXPIRED;
        fl_faults_mark_reached(f, f->sync_entries[k]);
    }
    return 1;
}

static void never(fl_world *w, void *ctx, uint64_t arg)
{
    (void)w, (void)ctx, (void)arg;
    FL_ASSERT(!"a sync deadline never runs");
}

int fl_aim_attach_syncs(fl_faults *f)
{
    for (size_t i = 0; i < f->len; i++)
        if (fl_schedule_entry(f->s, i)->sync)
            f->nsync++;
    if (f->nsync == 0)
        return 0;
    f->sync_entries = calloc(f->nsync, sizeof *f->sync_entries);
    f->sync_state = calloc(f->nsync, 1);
    f->sync_bound = calloc(f->nsync, sizeof *f->sync_bound);
    if (!f->sync_entries || !f->sync_state || !f->sync_bound)
        return FL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < f->len; i++) {
        const fl_fault *e = fl_schedule_entry(f->s, i);
        if (!e->sync)
            continue;
        f->sync_entries[k] = i;
        int64_t end = e->at_ns + e->within_ns + 1; /* after a crash at the window's end */
        int rc = fl_world_at_unless(f->w, end, FL_STEP_CRASH, 0, never, sync_deadline, f, k);
        if (rc != 0)
            return rc;
        k++;
    }
    fl_world_set_sync_hook(f->w, on_sync, f);
    return 0;
}

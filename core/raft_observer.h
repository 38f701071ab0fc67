/*
 * raft_observer.h -- the Raft observer's memory and the helpers its two files share
 * (core/raft_observer.c: the safety checks after every step; core/raft_observer_end.c:
 * liveness at the end, metrics, freeing).  Private to core/.
 */
#ifndef FL_CORE_RAFT_OBSERVER_H
#define FL_CORE_RAFT_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/faultline.h"

struct obs_metrics {
    int64_t elections, leaders, leader_changes, proposals, commits, max_term;
    int64_t first_leader_ns; /* -1 until a leader exists */
};

/* What the observer remembers of one node, across its crashes. */
struct obs_node {
    const void *sp;     /* the state last seen; NULL while down */
    int64_t started_ns; /* its incarnation */
    uint64_t seen_seq;  /* entries with a larger seq are new */
    uint64_t *ph;       /* the log's hash chain: ph[i - 1], entry i */
    uint64_t last;      /* chain length */
    size_t cap;
    uint64_t stable; /* entries 1..stable were synced when last seen */
    uint64_t term;
    int role, seen;
    int holds; /* durably holds the highest leader-committed entry */
};

struct obs_term {
    uint64_t term;
    int leader;
};

/* (index, term) -> hash of the prefix: one list per index (log matching). */
struct obs_lm {
    uint64_t term, phash;
    uint32_t next; /* 1-based index of the next item of this index's list; 0: end */
    int node;
};

struct obs {
    int n, inited;
    struct obs_node *nodes;   /* 1..n */
    struct obs_term *leaders; /* every (term, leader) ever, sorted by term */
    size_t nleaders, capleaders;
    uint32_t *lm_head; /* per index, 1-based first item */
    size_t lm_cap;
    struct obs_lm *lm;
    size_t nlm, caplm;
    uint64_t *gc;      /* hash chain of the committed prefix: gc[i - 1], entry i */
    uint64_t *gc_term; /* the entry's term */
    uint64_t *gc_ct;   /* the lowest term in which it is known committed (non-decreasing) */
    size_t gc_cap;
    uint64_t gmax; /* highest index any node has committed */
    uint64_t dmax; /* highest index a leader has committed in its term */
    int holders;   /* nodes that durably hold entry dmax */
    int64_t election_ns;
    int quiet_seen;
    uint64_t quiet_last; /* highest last index when the liveness phase began */
    int last_leader;
    struct obs_metrics m;
};

_Static_assert(sizeof(struct obs) <= FL_RAFT_OBSERVER_SIZE, "FL_RAFT_OBSERVER_SIZE too small");

/* A node as one step sees it: its state and the view of it. */
struct nv {
    const void *st;
    struct fl_raft_view v;
};

/* Fill v with the check and its detail; returns 1 (a violation). */
int fl_rob_fail(fl_violation *v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Grow an array to hold need elements (doubling); NULL when out of memory. */
void *fl_rob_grow(void *p, size_t *cap, size_t need, size_t elem);
/* Node id's state and view; 0 while it is down. */
int fl_rob_node(const fl_cluster *c, const struct fl_raft_adapter *a, int id, struct nv *out);
int fl_rob_majority(const struct obs *o);

#endif /* FL_CORE_RAFT_OBSERVER_H */

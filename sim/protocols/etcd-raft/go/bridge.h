/*
 * bridge.h -- what the Go half of the etcd-raft adapter calls back into the C half
 * (etcd_bridge.c).  The Go library never calls faultline itself: every service goes
 * through these function pointers, given once by etcd_go_init, so that the Go library
 * has no undefined symbols and can be built and hashed on its own.
 *
 * `node` is the fl_node of the callback that is running, passed to Go and back as an
 * opaque pointer.  Byte pointers are borrowed for the duration of the call.
 */
#ifndef FL_ETCD_BRIDGE_H
#define FL_ETCD_BRIDGE_H

#include <stdint.h>

struct etcd_bridge {
    uint64_t (*rand)(void *node);
    void (*log)(void *node, int level, const char *text, int len);
    /* Ready: the hard state changed (written to the WAL before any entry) */
    void (*hard_state)(void *node, uint64_t term, uint64_t vote, uint64_t commit);
    /* Ready: persist entry `index` (cutting the log there when it already holds it) */
    void (*entry)(void *node, uint64_t index, uint64_t term, int type, const void *data, int len);
    /* Ready: everything of this Ready is written; must_sync is etcd's Ready.MustSync.
     * Returns nonzero when a sync started that the Ready must wait for (the C half then
     * calls EtcdGoSynced when it completes), 0 to go on at once. */
    int (*persisted)(void *node, int must_sync);
    void (*send)(void *node, uint64_t to, const void *msg, int len);
    /* Ready: a committed entry is applied */
    void (*apply)(void *node, uint64_t index, uint64_t term, int type, const void *data, int len);
    /* after every call: the node's state as etcd sees it (role: 0 follower, 1 candidate,
     * 2 leader, 3 pre-candidate) */
    void (*status)(void *node, int role, uint64_t term, uint64_t vote, uint64_t lead,
                   uint64_t commit);
};

static inline uint64_t etcd_bridge_rand(const struct etcd_bridge *b, void *n)
{
    return b->rand(n);
}
static inline void etcd_bridge_log(const struct etcd_bridge *b, void *n, int level, const char *t,
                                   int len)
{
    b->log(n, level, t, len);
}
static inline void etcd_bridge_hard_state(const struct etcd_bridge *b, void *n, uint64_t term,
                                          uint64_t vote, uint64_t commit)
{
    b->hard_state(n, term, vote, commit);
}
static inline void etcd_bridge_entry(const struct etcd_bridge *b, void *n, uint64_t index,
                                     uint64_t term, int type, const void *data, int len)
{
    b->entry(n, index, term, type, data, len);
}
static inline int etcd_bridge_persisted(const struct etcd_bridge *b, void *n, int must_sync)
{
    return b->persisted(n, must_sync);
}
static inline void etcd_bridge_send(const struct etcd_bridge *b, void *n, uint64_t to,
                                    const void *msg, int len)
{
    b->send(n, to, msg, len);
}
static inline void etcd_bridge_apply(const struct etcd_bridge *b, void *n, uint64_t index,
                                     uint64_t term, int type, const void *data, int len)
{
    b->apply(n, index, term, type, data, len);
}
static inline void etcd_bridge_status(const struct etcd_bridge *b, void *n, int role, uint64_t term,
                                      uint64_t vote, uint64_t lead, uint64_t commit)
{
    b->status(n, role, term, vote, lead, commit);
}

#endif /* FL_ETCD_BRIDGE_H */

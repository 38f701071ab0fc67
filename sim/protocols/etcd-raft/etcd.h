/*
 * etcd.h -- the C half of the etcd-raft protocol: etcd's Raft (Go, unmodified) run by
 * faultline.  The Go half (go/etcdraft.go, a c-shared library) owns one raft.RawNode
 * per node; this half is the faultline protocol around it: the WAL on the simulated
 * disk, timers, Readies that wait for their syncs, and a mirror of what etcd persisted
 * (hard state and log), which the snapshot and the Raft observer read.
 *
 * The mirror is exact after every callback: etcd's log is its MemoryStorage, and every
 * Ready's entries are appended to both in the same call (go/etcdraft.go, drain).
 *
 * Built as a module (libetcd-raft.so) that faultline loads by name in its workers,
 * never linked into faultline: a Go runtime starts threads in the process that loads it.
 */
#ifndef FL_ETCD_RAFT_H
#define FL_ETCD_RAFT_H

#include <stdint.h>

#include "core/faultline.h"

#define ET_WAL_FILE 0
#define ET_MAX_ENTRY_BYTES (1u << 20)
#define ET_SYNC_QUEUE 64

enum { ET_TIMER_ELECTION = 0, ET_TIMER_HEARTBEAT = 1, ET_TIMER_TICK = 2 };
enum { ET_ENTRY_NORMAL = 0, ET_ENTRY_CONF = 1, ET_ENTRY_CONF_V2 = 2 };
enum { ET_BUG_SEND_BEFORE_SYNC = 1 };

struct et_params {
    int64_t election_ns;  /* ElectionTick = election / heartbeat */
    int64_t heartbeat_ns; /* one tick; HeartbeatTick = 1 */
    int max_entries;      /* 1: MaxSizePerMsg 1 byte (one entry per MsgApp) */
    unsigned bugs;        /* ET_BUG_* */
};

struct et_entry {
    uint64_t term;
    uint64_t seq; /* append sequence number, for the observer */
    int type;     /* etcd's EntryType */
    uint32_t len;
    char *data;
};

struct et_sync {
    uint64_t id;   /* fl_disk_sync id */
    uint64_t last; /* the log's last index when it was requested */
};

struct et_kv {
    char *key; /* NUL-terminated */
    char *val;
    size_t len;
};

struct et_state {
    int id, n;
    int handle; /* the Go half's node, 0 before start succeeded */
    struct et_params p;
    /* what etcd reports after every call (BasicStatus), but commit: the commit of the
     * last hard state a Ready handed out (etcd.c, b_status) */
    int role;
    uint64_t term, vote, lead, commit, applied;
    /* the mirror of etcd's storage: entries 1..last as the WAL holds them */
    struct et_entry *ents;
    uint64_t last, cap;
    uint64_t stable; /* entries 1..stable are covered by a completed sync */
    uint64_t append_seq;
    int64_t started_ns;
    uint32_t wal_crc;    /* the chained crc of the last record */
    int wrote;           /* something was written in the Ready being handled */
    uint64_t ready_sync; /* the sync the Go half's pending Ready waits for, or 0 */
    struct et_sync syncs[ET_SYNC_QUEUE];
    int nsyncs;
    char *logtext; /* the snapshot's "log", rebuilt when the log changed */
    size_t logtext_cap;
    uint64_t log_version;     /* moves at every change of the mirror log (et_log_put) */
    uint64_t logtext_version; /* log_version when logtext was built, plus one; 0: never */
    /* the clients' state machine (etcd_client.c) */
    int reg_set;
    int64_t reg;
    struct et_kv *kv; /* sorted by key */
    size_t nkv, kv_cap;
    uint64_t *seen; /* the op ids applied, sorted */
    size_t nseen, seen_cap;
    uint64_t client_ops;
};

/* etcd_params.c */
int et_params_parse(const cJSON *params, struct et_params *p, char *err, size_t cap);
extern const char et_params_doc[];

/* etcd_wal.c: recover from the WAL (or write the bootstrap one); the hard state
 * replayed goes to *hs (term, vote, commit). */
void et_wal_recover(fl_node *n, struct et_state *s, const cJSON *params, uint64_t hs[3]);
void et_wal_hard_state(fl_node *n, struct et_state *s, uint64_t term, uint64_t vote,
                       uint64_t commit);
void et_wal_entry(fl_node *n, struct et_state *s, uint64_t index, const struct et_entry *e);
/* the mirror log */
int et_log_put(struct et_state *s, uint64_t index, uint64_t term, int type, const void *data,
               uint32_t len);
void et_log_free(struct et_state *s);

/* etcd_client.c: client operations (API version 3) */
int et_client_decode(const char *data, uint32_t len, uint64_t *op_id, int *origin,
                     fl_client_op *op);
void et_client_apply(fl_node *n, struct et_state *s, const char *data, uint32_t len);
int et_client_entry(const struct et_state *s, uint64_t op_id, const void *op, size_t len,
                    unsigned char **out, size_t *out_len);
void et_client_free(struct et_state *s);

/* etcd_msg.c */
const char *et_describe(const void *msg, size_t len, char *buf, size_t cap);

/* etcd_view.c: the snapshot and the observer */
cJSON *et_snapshot(const fl_node *n);
int et_check(const fl_cluster *c, void *observer, int node, fl_violation *v);
int et_check_end(const fl_cluster *c, void *observer, fl_violation *v);

#endif /* FL_ETCD_RAFT_H */

/*
 * raft.h -- private types of the built-in Raft protocol (sim/protocols/raft/).
 *
 * The protocol follows etcd-raft's behaviour (and the Raft paper, cited by section in
 * the .c files): roles, randomized election timeouts, the up-to-date vote check,
 * MsgApp with the consistency check, conflict truncation and etcd's reject hint,
 * per-follower progress in probe / replicate state, commit by quorum of current-term
 * entries, proposals forwarded as MsgProp, a WAL on the simulated disk.
 *
 * Files, by concern:
 *   raft.c          the protocol table, start / stop, timers, clients, the end-of-callback
 *                   flush (persist, sync, release durable messages, apply)
 *   raft_params.c   params validation (configure) and parsing
 *   raft_role.c     follower / candidate / leader transitions, elections
 *   raft_repl.c     the leader: progress, MsgApp / heartbeats, commit
 *   raft_recv.c     message handling (Step)
 *   raft_msg.c      the wire format: encode, decode, describe
 *   raft_log.c      the in-memory log and its hash chain
 *   raft_wal.c      the write-ahead log on the simulated disk: write, replay, bootstrap
 *   raft_snapshot.c the state as JSON and the key-value state machine
 *   raft_view.c     the node's state as the Raft observer (core/raft_observer.c) reads it
 *
 * What holds after every callback: 1 <= entries' terms <= term; applied <= commit <=
 * last; stable <= last, and entries 1..stable are on the disk, covered by a completed
 * sync; no vote or append acknowledgement has left before the sync covering it.  The
 * cluster-wide properties are the observer's (core/raft_observer.c).
 *
 * Names: fr_ / FR_ ("faultline raft"), never raft_: that is canonical/raft's prefix, and
 * a plugin linked against libraft, or libraft built in as another protocol, must not
 * meet a second raft_apply.  The protocol itself is still called "raft".
 */
#ifndef FL_SIM_PROTOCOLS_RAFT_RAFT_H
#define FL_SIM_PROTOCOLS_RAFT_RAFT_H

#include <stddef.h>
#include <stdint.h>

#include "core/faultline.h"

/* ---- limits (each checked where it applies) ---- */
#define FR_MAX_LOG (UINT64_C(1) << 22)  /* entries in one log: proposals beyond are dropped */
#define FR_MAX_ENTRY_BYTES 4096         /* one client op */
#define FR_MAX_ENTRIES_PER_MSG 4096     /* upper bound of params.max_entries_per_msg */
#define FR_MAX_APP_BYTES (512u << 10)   /* entry bytes in one MsgApp (FL_MAX_MSG_BYTES) */
#define FR_MAX_SEND_BURST 64            /* MsgApps sent to one follower in one go */
#define FR_MAX_FORWARD_HOPS 4           /* a MsgProp forwarded more often is dropped */
#define FR_MAX_INITIAL_ENTRIES 100000   /* params.initial.log_terms */
#define FR_MAX_TERM (UINT64_C(1) << 48) /* params.initial.term */
#define FR_WAL_FILE 0

enum fr_role { FR_FOLLOWER = 0, FR_CANDIDATE, FR_LEADER };
enum fr_timer { FR_TIMER_ELECTION = 0, FR_TIMER_HEARTBEAT = 1 };
/* FR_ENTRY_CLIENT: a client operation (API version 3), data as fr_client_entry_encode */
enum fr_entry_type { FR_ENTRY_NORMAL = 0, FR_ENTRY_CONF = 1, FR_ENTRY_CLIENT = 2 };

/* Known bugs (params.bugs): each a realistic mistake, each a few lines, off by default.
 * Keep fr_bug_names (raft_params.c) in the same order. */
enum fr_bug {
    FR_BUG_QUORUM_OFF_BY_ONE = 1u << 0, /* majority computed as n/2 */
    FR_BUG_FORGET_VOTE = 1u << 1,       /* vote not persisted, lost on restart */
    FR_BUG_ACCEPT_STALE_TERM = 1u << 2, /* MsgApp from an older term not rejected */
    FR_BUG_KEEP_CONFLICTS = 1u << 3,    /* follower appends without cutting a conflict */
    FR_BUG_VOTE_ANY_LOG = 1u << 4,      /* vote granted without the up-to-date check */
    FR_BUG_COMMIT_OLD_TERM = 1u << 5,   /* commit an old-term entry by counting (Fig. 8) */
    FR_BUG_ACK_BEFORE_SYNC = 1u << 6,   /* follower acks entries before syncing them */
    FR_BUG_STALE_READ = 1u << 7,        /* leader answers reads from its state at once */
    FR_BUG_EARLY_ACK = 1u << 8,         /* leader acks a write when it appends it */
    FR_BUG_COUNT = 9
};
extern const char *const fr_bug_names[FR_BUG_COUNT + 1];

/* The run's params, validated by fr_configure and parsed again by every start. */
struct fr_params {
    int64_t election_ns; /* base election timeout; the drawn one is in [et, 2et) */
    int64_t heartbeat_ns;
    uint32_t max_entries; /* entries per MsgApp */
    unsigned bugs;        /* enum fr_bug bits */
};

/* Parse params (NULL: defaults).  Returns 0, or -1 with "params.x: why" in err. */
int fr_params_parse(const cJSON *params, struct fr_params *p, char *err, size_t cap);
int fr_configure(const cJSON *params, char *err, size_t cap);
extern const char fr_params_doc[];

/* ---- messages (raft_msg.c) ---- */

enum fr_msg_type {
    FR_MSG_VOTE = 1,
    FR_MSG_VOTE_RESP,
    FR_MSG_APP,
    FR_MSG_APP_RESP,
    FR_MSG_HEARTBEAT,
    FR_MSG_HEARTBEAT_RESP,
    FR_MSG_PROP,
    FR_MSG_TYPE_END
};

/* Field meanings follow etcd's raftpb.Message:
 *   MsgVote      term, index/logterm = candidate's last entry
 *   MsgApp       term, index/logterm = the entry before `entries`, commit
 *   MsgAppResp   term, index = last index accepted (or the rejected index), reject,
 *                hint/logterm = the follower's guess of where the logs match
 *   MsgHeartbeat term, commit = min(follower's match, leader's commit)
 *   MsgProp      entries (terms 0), hops = times forwarded */
struct fr_state;
struct fr_msg {
    uint8_t type, reject, hops;
    uint32_t nent;
    uint64_t term, index, logterm, commit, hint;
    const uint8_t *ents; /* nent encoded entries (decode: points into the message) */
    size_t ents_len;
};

/* One entry of a message, as decoded by fr_msg_entry_next. */
struct fr_msg_entry {
    uint64_t term;
    uint8_t type;
    uint32_t len;
    const char *data;
};

#define FR_MSG_HEADER 48
#define FR_MSG_ENTRY_HEADER 16

/* Encode m into s->mbuf; returns the length (0: too large or out of memory).  The
 * entries are m->ents (raw, as decoded or built by fr_msg_entry_encode) or, when
 * m->ents is NULL, log entries index+1 .. index+nent. */
size_t fr_msg_encode(struct fr_state *s, const struct fr_msg *m);
/* Encode one entry at p (FR_MSG_ENTRY_HEADER + len bytes); returns its size. */
size_t fr_msg_entry_encode(uint8_t *p, uint64_t term, int type, const void *data, uint32_t len);
/* Decode and validate buf.  Returns 0, or -1 when it is not a well-formed message. */
int fr_msg_decode(const void *buf, size_t len, struct fr_msg *m);
/* Walk the entries of a decoded message: *pos starts at 0. */
void fr_msg_entry_next(const struct fr_msg *m, size_t *pos, struct fr_msg_entry *e);
const char *fr_msg_type_name(int type);
const char *fr_describe(const void *msg, size_t len, char *buf, size_t cap);

/* ---- per-node state ---- */

struct fr_entry {
    uint64_t term;
    uint64_t seq; /* append order within this incarnation, read by the observer */
    uint32_t len;
    uint8_t type;
    char *data; /* owned; NULL when len == 0 */
};

/* etcd's tracker.Progress, reduced to what this protocol uses (§5.3). */
enum fr_pr_state { FR_PR_PROBE = 0, FR_PR_REPLICATE };
struct fr_progress {
    uint64_t match, next;
    uint64_t sent_commit; /* highest commit index sent (etcd's CanBumpCommit) */
    uint8_t state;
    uint8_t paused; /* probe: a MsgApp is out, wait for its answer */
};

/* A message that promises durability, held until the sync covering it completes. */
struct fr_pending {
    uint64_t need; /* the sync id it waits for; 0: the next sync to be requested */
    int to;
    uint32_t len;
    uint8_t *buf;
    uint8_t wait; /* 0: nothing was unsynced when it was queued */
};

/* A requested sync and the log position it covers. */
struct fr_syncrec {
    uint64_t id;
    uint64_t last; /* last index written when requested (lowered by later truncations) */
};

struct fr_kv {
    char *key, *val;
};

struct fr_state {
    int id, n;
    struct fr_params p;
    int64_t started_ns; /* when this incarnation started (the observer tells restarts) */

    /* §5.1 Figure 2, persistent state (with commit, as etcd's HardState) */
    uint64_t term;
    int vote;
    uint64_t commit;
    /* volatile */
    uint64_t applied;
    int role, lead, reported_lead;
    int64_t rand_election_ns; /* this term's randomized election timeout */

    /* the log: entry i at ents[i - 1] */
    struct fr_entry *ents;
    uint64_t last, cap;
    uint64_t append_seq;

    /* durability (raft_wal.c) */
    uint64_t stable; /* entries 1..stable are synced */
    uint64_t hs_term, hs_commit;
    int hs_vote;        /* the hard state last written */
    uint32_t wal_crc;   /* chained checksum of the last record */
    int wal_dirty;      /* written since the last sync request */
    uint64_t synced_id; /* highest completed sync */
    struct fr_syncrec *syncs;
    size_t nsyncs, capsyncs;
    struct fr_pending *outq;
    size_t nout, capout;

    /* candidate: votes[id] 0 unknown, 1 granted, 2 rejected */
    uint8_t *votes;
    /* leader */
    struct fr_progress *prs; /* prs[id], id 1..n */
    uint64_t *scratch;       /* n matches, for the quorum index */

    uint8_t *mbuf; /* message encoding buffer */
    size_t mcap;

    /* the key-value state machine (raft_snapshot.c) */
    struct fr_kv *kv;
    size_t nkv, capkv;
    char *sm_other; /* the last op that was not "set k v" */
    uint64_t sm_ops;
    int voters; /* configuration entries applied */
    /* clients (raft_client.c): the register, and the op ids applied (an operation
     * proposed twice -- a duplicated MsgProp -- takes effect once) */
    int reg_set;
    int64_t reg;
    uint64_t *op_seen; /* open addressing, 0 = empty */
    size_t op_seen_cap, op_nseen;
    uint64_t client_ops; /* client entries applied */

    /* The log as snapshot JSON, kept between snapshots (raft_snapshot.c): entries are
     * immutable until cut, and a cut gives the replacing entries new seqs, so the cache
     * is extended, or cut back to where the seqs still match, instead of rebuilt. */
    struct fr_logtext {
        char *buf;
        size_t len, cap;
        size_t *end;   /* end[i]: text length after entry i + 1 */
        uint64_t *seq; /* seq[i]: the seq of entry i + 1 when it was printed */
        uint64_t n, ncap;
        uint64_t version; /* moves whenever the text does (fl_snapshot_text) */
    } lt;
};

static inline int fr_bug(const struct fr_state *s, unsigned bug)
{
    return (s->p.bugs & bug) != 0;
}

/* ---- raft.c ---- */
void fr_flush(fl_node *n, struct fr_state *s);
/* Send now (ordinary messages). */
void fr_send(fl_node *n, struct fr_state *s, int to, const struct fr_msg *m);
/* Send once everything written so far is synced (votes, append acks: etcd's
 * msgsAfterAppend).  A message to self is stepped locally at that point. */
void fr_send_durable(fl_node *n, struct fr_state *s, int to, const struct fr_msg *m);
void fr_reset_election_timer(fl_node *n, struct fr_state *s);

/* ---- raft_role.c ---- */
int fr_quorum(const struct fr_state *s);
void fr_become_follower(fl_node *n, struct fr_state *s, uint64_t term, int lead);
void fr_campaign(fl_node *n, struct fr_state *s);
void fr_become_leader(fl_node *n, struct fr_state *s);
void fr_poll(fl_node *n, struct fr_state *s, int from, int granted);
void fr_tally(const struct fr_state *s, int *granted, int *rejected);

/* ---- raft_repl.c ---- */
int fr_send_append(fl_node *n, struct fr_state *s, int to, int send_if_empty);
void fr_bcast_append(fl_node *n, struct fr_state *s);
void fr_bcast_heartbeat(fl_node *n, struct fr_state *s);
int fr_maybe_commit(struct fr_state *s);
void fr_leader_on_app_resp(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m);
void fr_leader_on_heartbeat_resp(fl_node *n, struct fr_state *s, int from);
int fr_leader_propose(fl_node *n, struct fr_state *s, const struct fr_msg *m);

/* ---- raft_recv.c ---- */
void fr_step(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m);

/* ---- raft_log.c ---- */
uint64_t fr_term_at(const struct fr_state *s, uint64_t index); /* 0 outside the log */
uint64_t fr_last_term(const struct fr_state *s);
/* Append one entry at last + 1 (copying data) without touching the disk.  Returns 0
 * or -1 when the log is full or out of memory. */
int fr_log_push(struct fr_state *s, uint64_t term, int type, const void *data, uint32_t len);
/* Drop entries after `last` (memory only). */
void fr_log_cut(struct fr_state *s, uint64_t last);
void fr_log_free(struct fr_state *s);
int fr_is_up_to_date(const struct fr_state *s, uint64_t index, uint64_t term);
uint64_t fr_find_conflict_by_term(const struct fr_state *s, uint64_t index, uint64_t term,
                                  uint64_t *term_out);
void fr_commit_to(fl_node *n, struct fr_state *s, uint64_t index);

/* ---- raft_wal.c ---- */
/* Append an entry to the log and the WAL (the hard state first when it changed). */
int fr_append(fl_node *n, struct fr_state *s, uint64_t term, int type, const void *data,
              uint32_t len);
/* Cut the log after `last` (the WAL learns it from the next entry's index). */
void fr_truncate(struct fr_state *s, uint64_t last);
void fr_persist_hard_state(fl_node *n, struct fr_state *s);
/* Replay the WAL, or bootstrap an empty disk from params; logs as etcd does. */
void fr_wal_recover(fl_node *n, struct fr_state *s, const cJSON *params);
uint32_t fr_crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- raft_snapshot.c ---- */
cJSON *fr_snapshot(const fl_node *n);
void fr_apply(fl_node *n, struct fr_state *s);
void fr_sm_free(struct fr_state *s);
/* The state machine's keys: set takes ownership of key and val (malloc'd; on failure
 * they are freed); get returns the value or NULL. */
void fr_kv_set(struct fr_state *s, char *key, char *val);
const char *fr_kv_get(const struct fr_state *s, const char *key);
void fr_logtext_free(struct fr_state *s);

/* ---- raft_client.c ---- */
/* A client entry's data: u64 op id, u32 the node the client asked, the operation. */
#define FR_CLIENT_ENTRY_HEADER 12
void fr_on_client_op(fl_node *n, uint64_t op_id, const void *op, size_t len);
/* Apply client entry e (committed) to the state machine; the asked node answers. */
void fr_apply_client(fl_node *n, struct fr_state *s, const struct fr_entry *e);
/* The leader appended client entry data (early_ack answers writes here). */
void fr_client_appended(fl_node *n, struct fr_state *s, const char *data, uint32_t len);
/* An entry's data as text for the snapshot: "op 7 from 2: write 3". */
void fr_client_text(const struct fr_entry *e, char *out, size_t cap);
void fr_client_free(struct fr_state *s);

/* ---- raft_view.c: the observer is the public Raft observer (fl_raft_check) ---- */
int fr_check(const fl_cluster *c, void *observer, int node, fl_violation *v);
int fr_check_end(const fl_cluster *c, void *observer, fl_violation *v);

/* Small helpers shared by the files. */
void *fr_grow(void *p, size_t *cap, size_t need, size_t elem);

#endif /* FL_SIM_PROTOCOLS_RAFT_RAFT_H */

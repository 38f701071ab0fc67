/*
 * craft.h -- private types of the canonical-raft protocol: the system's libraft
 * (canonical/raft, Debian libraft-dev 0.15), unmodified, run on faultline's nodes,
 * network and disk through its struct raft_io and struct raft_fsm.
 *
 * Files, by concern:
 *   craft.c       the protocol table, start / stop, timers, clients, and the flush that
 *                 ends every callback (send completions, run after libraft returns)
 *   craft_io.c    struct raft_io: load, bootstrap, term and vote, append, truncate, send,
 *                 time, random, close -- on the simulated disk and network
 *   craft_disk.c  the on-disk format: two metadata slots, a log of checksummed records
 *                 with torn-tail detection
 *   craft_msg.c   the wire format of libraft's messages: encode, decode, describe
 *   craft_fsm.c   struct raft_fsm (the key-value state machine), the snapshot JSON, and
 *                 the view of the state that the Raft observer (fl_raft_check) reads
 *
 * What the adapter must guarantee libraft, and how (docs/case-studies/canonical-raft.md):
 *   - set_term, set_vote and bootstrap are durable when they return: they write and
 *     start a sync, and every message sent after them is held until that sync completes
 *     (fl_send_after_sync), so nothing that depends on them leaves before they are durable;
 *   - an append's callback runs once the sync covering its entries completed (on_synced);
 *   - a send's callback runs after the libraft call that sent it returns (libraft reads
 *     the request after send() returns), never inside it;
 *   - time is the node's drifting local clock (fl_local_now), randomness the node's stream.
 *
 * Snapshots are off: the threshold is set beyond any run's log (CR_MAX_LOG), so libraft
 * never takes, sends or installs one; snapshot_put / snapshot_get fail if called.
 *
 * Names: cr_ / CR_; raft_ belongs to libraft.
 */
#ifndef FL_SIM_PROTOCOLS_CANONICAL_RAFT_CRAFT_H
#define FL_SIM_PROTOCOLS_CANONICAL_RAFT_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>

#include "core/faultline.h"

#define CR_MAX_LOG (1u << 22)           /* entries in one log; also the snapshot threshold */
#define CR_MAX_ENTRY_BYTES 4096         /* one client op */
#define CR_MAX_MSG_PAYLOAD (512u << 10) /* entry bytes in one AppendEntries (FL_MAX_MSG_BYTES) */
#define CR_MAX_FORWARD_HOPS 4           /* a proposal forwarded more often is dropped */
#define CR_META_FILE 0
#define CR_LOG_FILE 1

enum cr_timer { CR_TIMER_ELECTION = 0, CR_TIMER_TICK = 1 };

/* The run's params, validated by cr_configure and parsed again by every start. */
struct cr_params {
    unsigned election_ms, heartbeat_ms;
    unsigned max_entries; /* entries per AppendEntries */
    int pre_vote;
    int fix_result_last; /* cap AppendEntriesResult.last_log_index (cowsql/raft#148) */
    int fix_term_change; /* drop an append's answer after a term change (raft 35479fc) */
    int checks;          /* the Raft observer's checks (on by default) */
};
int cr_params_parse(const cJSON *params, struct cr_params *p, char *err, size_t cap);
int cr_configure(const cJSON *params, char *err, size_t cap);
extern const char cr_params_doc[];

/* One entry of the log as the adapter stores it (a shadow of libraft's log, kept in
 * step by io->append and io->truncate): the observer and the snapshot read it. */
struct cr_entry {
    uint64_t term;
    uint64_t seq; /* append order within this incarnation (the observer's "new") */
    int64_t off;  /* where its record starts in the log file */
    uint32_t len;
    uint16_t type; /* RAFT_COMMAND, RAFT_BARRIER, RAFT_CHANGE */
    char *data;    /* owned; NULL when len == 0 */
};

/* An append whose callback waits for the sync covering it. */
struct cr_append {
    struct raft_io_append *req;
    raft_io_append_cb cb;
    uint64_t sync_id;
    uint64_t last; /* last index it wrote */
    uint64_t term; /* libraft's current term when it was asked */
};

/* A send whose callback runs when the libraft call that sent it has returned. */
struct cr_sent {
    struct raft_io_send *req;
    raft_io_send_cb cb;
};

struct cr_kv {
    char *key, *val;
};

struct cr_state {
    fl_node *node; /* valid during a callback only */
    int id, n;
    struct cr_params p;
    int64_t started_ns;
    int inited;  /* raft_init succeeded: raft_close at stop */
    int running; /* raft_start succeeded */
    int closing; /* raft_close in progress: sends are dropped */
    /* params.fix_result_last: while libraft handles an AppendEntries, the last index
     * it checked against the leader's log (prev + n) */
    uint64_t checked_last;
    int checking;
    /* params.fix_term_change: an append completing in a later term than it was asked
     * in: its AppendEntriesResult is not sent */
    int stale_append;

    struct raft raft;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft_tracer tracer;
    raft_io_tick_cb tick_cb;
    raft_io_recv_cb recv_cb;
    char *addrs; /* "1\0" "2\0" ...: each node's address, 12 bytes apart */

    /* the disk (craft_disk.c) */
    uint64_t meta_version, term;
    raft_id vote;
    uint64_t meta_sync;    /* the last sync of the metadata or a bootstrap: sends wait for it */
    struct cr_entry *ents; /* entry i at ents[i - 1] */
    uint64_t last, append_seq;
    size_t cap;
    uint64_t stable; /* entries 1..stable are durable */

    struct cr_append *appends;
    size_t nappends, capappends;
    struct cr_sent *sent;
    size_t nsent, capsent;

    uint8_t *mbuf; /* encoding buffer */
    size_t mcap;

    /* The log as snapshot JSON text, kept between snapshots (craft_fsm.c): entries are
     * immutable until cut, and replacing entries get new seqs, so the text is cut back to
     * where the seqs still match and extended, instead of rebuilt. */
    struct cr_logtext {
        char *buf;
        size_t len, cap;
        size_t *end;   /* end[i]: text length after entry i + 1 */
        uint64_t *seq; /* seq[i]: the seq of entry i + 1 when it was printed */
        uint64_t n;
        size_t ncap;
        uint64_t version; /* moves whenever the text does (fl_snapshot_text) */
    } lt;

    /* the state machine (craft_fsm.c) */
    struct cr_kv *kv;
    size_t nkv, capkv;
    char *sm_other;
    uint64_t sm_ops;
};

void *cr_grow(void *p, size_t *cap, size_t need, size_t elem);
const char *cr_addr(const struct cr_state *s, int id);

/* ---- craft.c ---- */
/* Run what libraft left for after its call: send completions.  Every callback of the
 * protocol ends with it. */
void cr_flush(struct cr_state *s);

/* ---- craft_io.c ---- */
void cr_io_init(struct cr_state *s);
/* Complete the appends covered by sync_id (libraft's callbacks run here). */
void cr_io_synced(struct cr_state *s, uint64_t sync_id);

/* ---- craft_disk.c ---- */
/* Read the metadata and the log; cut a torn tail.  Logs what it found. */
void cr_disk_load(struct cr_state *s);
/* Write term and vote (a new metadata version) and start a sync; returns its id. */
uint64_t cr_disk_set_meta(struct cr_state *s, uint64_t term, raft_id vote);
/* Append entries to the log file (and the shadow); returns 0 or -1 (log full). */
int cr_disk_append(struct cr_state *s, const struct raft_entry *ents, unsigned n);
/* Drop entries index.. from the log file and the shadow. */
void cr_disk_truncate(struct cr_state *s, uint64_t index);
void cr_disk_free(struct cr_state *s);

/* ---- craft_msg.c ---- */
enum { CR_MSG_PROPOSE = 16 }; /* ours: a client op forwarded to the leader */
/* Encode m into s->mbuf, at most max_entries entries and CR_MAX_MSG_PAYLOAD entry
 * bytes (a longer AppendEntries is cut: the follower's answer says how far it got).
 * Returns the length, 0 when it cannot be encoded. */
size_t cr_msg_encode(struct cr_state *s, const struct raft_message *m, unsigned max_entries);
size_t cr_msg_encode_propose(struct cr_state *s, unsigned hops, const void *op, size_t len);
/* Decode buf into m (from = the sender).  AppendEntries entries are allocated as libraft
 * frees them (one batch); libraft owns them once it has the message.  Returns 0, or -1
 * for a malformed message, 1 for a Propose (*hops, *op and *oplen set). */
int cr_msg_decode(struct cr_state *s, int from, const void *buf, size_t len, struct raft_message *m,
                  unsigned *hops, const void **op, size_t *oplen);
const char *cr_describe(const void *msg, size_t len, char *buf, size_t cap);

/* ---- craft_fsm.c ---- */
void cr_fsm_init(struct cr_state *s);
void cr_sm_free(struct cr_state *s);
void cr_logtext_free(struct cr_state *s);
cJSON *cr_snapshot(const fl_node *n);
extern const struct fl_raft_adapter cr_raft_adapter;
/* The observer's memory: whether checks are on, then the Raft observer's. */
struct cr_obs {
    int inited, checks;
    _Alignas(16) unsigned char raft[FL_RAFT_OBSERVER_SIZE];
};
void cr_report(const fl_cluster *c, void *observer);
void cr_observer_free(void *observer);
int cr_check(const fl_cluster *c, void *observer, int node, fl_violation *v);
int cr_check_end(const fl_cluster *c, void *observer, fl_violation *v);

#endif /* FL_SIM_PROTOCOLS_CANONICAL_RAFT_CRAFT_H */

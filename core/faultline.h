/*
 * faultline.h -- the public protocol API.
 *
 * A protocol is plain C code that reacts to events (a message arrived, a timer fired,
 * a disk sync completed, a client asked for something) and acts only through the
 * services below (send, set timers, write the simulated disk, log, draw random
 * numbers).  It never reads the real clock, never uses the C library's generator, and
 * keeps no mutable globals: everything it knows lives in its per-node state, which faultline
 * allocates (state_size bytes, zeroed) at every (re)start and discards at a crash.
 *
 * That is what makes a run deterministic: the same binary, scenario and seed give the
 * same sequence of callbacks, and so the same trace and digest.
 *
 * An omniscient observer (check) sees every node's state after every step and keeps
 * its own memory for the whole run (observer_size bytes, zeroed once per run).
 *
 * Built-in protocols and plugins (shared objects exporting `faultline_protocol`)
 * include this header only.
 *
 * Versioning (docs/writing-a-protocol.md): struct fl_protocol only grows at its end,
 * one block of members per API version, and a protocol's api_version says which blocks
 * it has.  faultline loads every version from 1 to FL_API_VERSION and never reads a
 * member of a later block than the plugin's version: those count as NULL.  Services
 * added later are new functions, never changed ones.
 */
#ifndef FL_CORE_FAULTLINE_H
#define FL_CORE_FAULTLINE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The newest API version; bumped when a block of members is appended below. */
#define FL_API_VERSION 4

#define FL_MAX_TIMERS 8     /* timers a protocol may declare */
#define FL_MAX_DISK_FILES 4 /* simulated files per node, numbered 0..3 */
#define FL_MAX_MSG_BYTES (1u << 20)

/* Virtual time units, so that protocol code reads `150 * FL_MS`. */
#define FL_NS ((int64_t)1)
#define FL_US ((int64_t)1000)
#define FL_MS ((int64_t)1000000)
#define FL_S ((int64_t)1000000000)

typedef struct fl_node fl_node;       /* one simulated node, as its protocol sees it */
typedef struct fl_cluster fl_cluster; /* the whole world, as the observer sees it */

/* What a failed check reports.  `check` names the invariant (a short identifier such
 * as "election_safety"); `detail` says what was seen.  Both are NUL-terminated. */
typedef struct fl_violation {
    char check[64];
    char detail[448];
} fl_violation;

/* Log levels of fl_log(). */
enum { FL_LOG_DEBUG = 0, FL_LOG_INFO = 1, FL_LOG_WARN = 2 };

/* A param the swarm nemesis may draw, per seed, from a range the protocol declares
 * (API version 4; docs/writing-a-protocol.md "Param ranges").  Scenarios switch it on
 * with "faults": {"swarm_params": true}. */
enum { FL_PARAM_INT = 0, FL_PARAM_DURATION = 1 };
#define FL_PARAM_LOG                                                                               \
    0x100 /* or-ed into kind: draw log-uniformly (1..64: 1 as likely as 33..64)                    \
           */
struct fl_param_range {
    const char *name; /* a key of params, or "nodes" (the cluster size); NULL ends the list */
    int kind;         /* FL_PARAM_INT or FL_PARAM_DURATION, maybe | FL_PARAM_LOG */
    int64_t lo, hi;   /* inclusive, lo >= 1 with FL_PARAM_LOG; durations in nanoseconds */
};

struct fl_protocol {
    int api_version; /* FL_API_VERSION */
    const char *name;
    const char *const *timers; /* timer names, NULL-terminated, at most FL_MAX_TIMERS */
    const char *const *bugs;   /* known-bug switches (params.bugs), NULL-terminated; may be NULL */
    const char *params_doc;    /* one line per param, "name: meaning (default)", and one
                                * per bug, "bugs.<name>: what it does"; may be NULL */
    size_t state_size;         /* per-node memory, zeroed at every (re)start */
    size_t observer_size;      /* observer memory, zeroed once per run */

    /* Validate the scenario's `params` object once per run (it may be NULL: all
     * defaults).  Return 0, or nonzero with a message in err ("params.x: ...").
     * May be NULL. */
    int (*configure)(const cJSON *params, char *err, size_t cap);

    /* Boot and every restart: the state is zeroed; recover from the disk.  Must not
     * fail: a protocol that finds its disk unusable logs it and starts empty. */
    void (*start)(fl_node *n, const cJSON *params);

    /* Called when the node stops for good at the end of a run, or when it crashes:
     * free what start() allocated.  The state memory itself belongs to faultline.
     * May be NULL. */
    void (*stop)(fl_node *n);

    void (*on_message)(fl_node *n, int from, const void *msg, size_t len);
    void (*on_timer)(fl_node *n, int timer);
    void (*on_synced)(fl_node *n, uint64_t sync_id);           /* may be NULL */
    void (*on_client)(fl_node *n, const void *op, size_t len); /* may be NULL */

    /* The node's state as JSON, for recording, traces and scripts' `expect`.  The
     * caller frees the result with cJSON_Delete().  A large part may be a raw item
     * (cJSON_AddRawToObject with valid JSON text): it is printed as is when recording,
     * which is much cheaper than a tree, and parsed when a tree is needed; better, a
     * versioned text (fl_snapshot_text), which recording skips while it is unchanged.
     * May be NULL. */
    cJSON *(*snapshot)(const fl_node *n);

    /* A one-line description of a message ("MsgVote term=10 lastlog=9/11"); writes at
     * most cap bytes into buf and returns buf.  The first word is the message type,
     * which scripts match with "type".  May be NULL. */
    const char *(*describe)(const void *msg, size_t len, char *buf, size_t cap);

    /* The observer, after every step: `node` acted in it (0: no node did).  Return 0
     * when every invariant holds, else fill v and return nonzero: the run ends with
     * outcome `violation`.  May be NULL. */
    int (*check)(const fl_cluster *c, void *observer, int node, fl_violation *v);

    /* At the normal end of a run (virtual time reached run.until): liveness checks.
     * fl_cluster_quiet_since() tells when the last fault was healed.  Nonzero means
     * outcome `liveness`.  May be NULL. */
    int (*check_end)(const fl_cluster *c, void *observer, fl_violation *v);

    /* Once when the run ends, whatever its outcome: report run-level metrics with
     * fl_cluster_metric_set ("raft.max_term").  May be NULL. */
    void (*report)(const fl_cluster *c, void *observer);

    /* The observer's memory is about to be discarded: free what check allocated.
     * May be NULL. */
    void (*observer_free)(void *observer);

    /* ---- API version 2: present when api_version >= 2 ---- */

    /* Once per process, before the process's first run of the protocol: the place to
     * start a runtime or a thread pool that a library needs (never state of a run:
     * that belongs in the node's state or the observer).  Return 0, or nonzero with a
     * one-line message in err: the command fails before any run.  May be NULL. */
    int (*process_init)(char *err, size_t cap);

    /* ---- API version 3, clients (docs/linearizability.md): present when
     * api_version >= 3 ---- */

    /* A client operation of the scenario's model (workload.model register or kv) reached
     * this node.  op is in the fixed encoding below (fl_client_op_decode); op_id names
     * the operation in fl_client_reply.  The node answers at most once, when the
     * operation has taken effect (or definitely failed), from any later callback; an
     * operation it never answers times out at the client as indeterminate.  May be
     * NULL: every operation times out. */
    void (*on_client_op)(fl_node *n, uint64_t op_id, const void *op, size_t len);

    /* ---- API version 4, param swarm: present when api_version >= 4 ---- */

    /* The ranges its params may be drawn from per seed ("faults": {"swarm_params": true}),
     * terminated by an entry whose name is NULL.  Every value of a range must be one
     * that configure() accepts.  May be NULL: the protocol has no ranges. */
    const struct fl_param_range *param_ranges;
};

/* The size of struct fl_protocol as a protocol of api_version v has it (the members
 * through v's block), or 0 for a version this header does not know. */
#define FL_PROTOCOL_SIZE_V1 offsetof(struct fl_protocol, process_init)
#define FL_PROTOCOL_SIZE_V2 offsetof(struct fl_protocol, on_client_op)
#define FL_PROTOCOL_SIZE_V3 offsetof(struct fl_protocol, param_ranges)
#define FL_PROTOCOL_SIZE_V4 sizeof(struct fl_protocol)

/* ---- services for protocol code (the node is the one whose callback is running) ---- */

int fl_node_id(const fl_node *n);      /* 1..N */
int fl_cluster_size(const fl_node *n); /* N */
void *fl_state(fl_node *n);            /* the node's state_size bytes */
const void *fl_state_const(const fl_node *n);
int64_t fl_now(const fl_node *n); /* virtual time, ns */
uint64_t fl_rand_u64(fl_node *n); /* the node's own random stream */
/* Uniform in [lo, hi] (inclusive), from the node's stream. */
int64_t fl_rand_range(fl_node *n, int64_t lo, int64_t hi);

/* Send msg (copied) to node `to` (1..N, may be the node itself).  Returns 0, or a
 * negative FL_E code when `to` is out of range or the message is too large. */
int fl_send(fl_node *n, int to, const void *msg, size_t len);

/* ---- services for wrapped libraries (what canonical-raft needed; new functions, so no
 * new API version: a plugin that calls them needs a faultline that has them) ---- */

/* Send msg (copied) to `to` once this node's disk sync `sync_id` (an id fl_disk_sync
 * returned; 0: none) has completed: at once when it already has, else in the step of
 * its completion, before on_synced.  Held messages leave in call order, so a message
 * held behind another waits for it even when its own sync is done.  A crash discards
 * the messages still held (they never existed).  For a library whose storage calls
 * must be durable when they return (a Raft's term and vote): write, start a sync, and
 * send everything after that through this call.  Returns 0, or a negative FL_E code
 * as fl_send does; a sync id never requested is a misuse. */
int fl_send_after_sync(fl_node *n, int to, const void *msg, size_t len, uint64_t sync_id);

/* The node's local clock, in ns: it follows virtual time at the rate of the node's
 * clock faults (`clock` drift in the schedule), as timers do, so that a library which
 * reads the time itself (libraft's io->time) sees the same drift as its timers.  It
 * starts at 0 with the run, never goes backwards, and keeps running across crashes. */
int64_t fl_local_now(const fl_node *n);

/* Whether fl_log lines are recorded or shown in this run (a trace, a recording): a
 * library that formats its own trace lines (libraft's tracer) can skip the work when
 * nobody reads them.  Never let it change what the protocol does. */
int fl_log_wanted(const fl_node *n);

/* Arm timer `timer` (index into protocol->timers) to fire after `after_ns`; re-arming
 * replaces the previous deadline.  Cancelling an unarmed timer does nothing.
 *
 * Misuse of a service -- a timer the protocol did not declare, a negative delay or one
 * past the end of virtual time, a disk file out of range, a snapshot that is not a JSON
 * object -- is the protocol's failure: the call is ignored and the run ends when the
 * step does, as outcome crash, check protocol_error, naming the call, the node, the
 * step and the seed. */
void fl_timer_set(fl_node *n, int timer, int64_t after_ns);
void fl_timer_cancel(fl_node *n, int timer);
int fl_timer_armed(const fl_node *n, int timer);

/* printf-style log line, recorded with the step and shown in the trace. */
void fl_log(fl_node *n, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Simulated disk: FL_MAX_DISK_FILES files per node.  Writes are volatile until a sync
 * that was requested after them completes (on_synced).  A crash keeps the durable
 * bytes and treats the rest by the scenario's policy (keep / lose / tear).
 * Functions return 0 (or a byte count) on success and a negative FL_E code on bad
 * arguments (file out of range, offset past the end). */
int64_t fl_disk_size(const fl_node *n, int file);
int fl_disk_append(fl_node *n, int file, const void *buf, size_t len);
int fl_disk_write(fl_node *n, int file, int64_t off, const void *buf, size_t len);
int64_t fl_disk_read(const fl_node *n, int file, int64_t off, void *buf, size_t len);
int fl_disk_truncate(fl_node *n, int file, int64_t size);
/* Start a sync of everything written so far to `file`; returns its id (> 0), or 0 for
 * a file out of range (a misuse: the run ends).  It completes later as its own step,
 * calling on_synced(n, id); ids grow, and a completed sync covers every write before it
 * was requested. */
uint64_t fl_disk_sync(fl_node *n, int file);

/* Add delta to the run's metric `name` (the `metrics` table; the same name adds up).
 * Names are copied; use dotted lowercase ("raft.elections").  Metrics are outputs
 * only: they never change the run. */
void fl_metric_add(fl_node *n, const char *name, int64_t delta);

/* A snapshot member that the protocol keeps as JSON text and counts the changes of,
 * for a long part such as Raft's log: a raw item referring to text (not copied: it
 * must stay valid and unchanged until the snapshot is deleted) and carrying version,
 * which the protocol changes whenever text changes (a counter below 2^53).  Recording
 * compares the member with its previous text only when its version moved, so a step
 * that left a long log alone costs nothing for it.  Versions are per node and member;
 * a node that restarts may count from 0 again.  Add it with cJSON_AddItemToObjectCS
 * (or cJSON_AddItemToObject); NULL when out of memory. */
cJSON *fl_snapshot_text(const char *text, uint64_t version);

/* ---- clients (API version 3): the operations of workload.model and their answers ----
 *
 * Every protocol decodes the same bytes, so that our Raft and the adapters of other
 * libraries serve the same operations.  An operation is FL_CLIENT_OP_HEADER bytes
 *
 *   [0] 0xF1  [1] f (enum fl_client_f)  [2..3] key length  [4..7] value length
 *   [8..15] a  [16..23] b                 (integers little-endian, a and b signed)
 *
 * followed by the key and the value bytes.  register: read; write a; cas a -> b (no
 * key, no value).  kv: get key; put key value; append key value (a and b are 0).
 * A result is FL_CLIENT_RESULT_HEADER bytes
 *
 *   [0] 0xF2  [1] type (FL_CLIENT_OK / FL_CLIENT_FAIL)  [2] null  [3] 0
 *   [4..7] value length  [8..15] integer value
 *
 * followed by the value bytes: a register read's integer (null set: never written), a
 * kv get's string; nothing for the others.  FL_CLIENT_FAIL means the operation did not
 * take effect -- except cas, where it is the definite answer "the register did not
 * hold the expected value". */

enum fl_client_f {
    FL_CLIENT_READ = 1,
    FL_CLIENT_WRITE,
    FL_CLIENT_CAS,
    FL_CLIENT_GET,
    FL_CLIENT_PUT,
    FL_CLIENT_APPEND
};
enum { FL_CLIENT_OK = 0, FL_CLIENT_FAIL = 1 };

#define FL_CLIENT_OP_HEADER 24
#define FL_CLIENT_RESULT_HEADER 16
#define FL_CLIENT_KEY_MAX 255     /* bytes of a kv key */
#define FL_CLIENT_VALUE_MAX 65536 /* bytes of a kv value (put, append, get) */

/* A decoded operation; key and value point into the encoded bytes. */
typedef struct fl_client_op {
    int f; /* enum fl_client_f */
    int64_t a, b;
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} fl_client_op;

typedef struct fl_client_result {
    int type;        /* FL_CLIENT_OK or FL_CLIENT_FAIL */
    int is_null;     /* register read: never written */
    int64_t value;   /* register read */
    const char *str; /* kv get; points into the encoded bytes */
    size_t str_len;
} fl_client_result;

static inline void fl_client_put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t fl_client_get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Encode op into buf (cap bytes).  Returns the length, or 0 when it does not fit or
 * op is not valid (f out of range, key or value too long). */
static inline size_t fl_client_op_encode(const fl_client_op *op, void *buf, size_t cap)
{
    size_t need = FL_CLIENT_OP_HEADER + op->key_len + op->value_len;
    if (op->f < FL_CLIENT_READ || op->f > FL_CLIENT_APPEND || op->key_len > FL_CLIENT_KEY_MAX ||
        op->value_len > FL_CLIENT_VALUE_MAX || need > cap)
        return 0;
    unsigned char *p = (unsigned char *)buf;
    p[0] = 0xF1;
    p[1] = (unsigned char)op->f;
    fl_client_put_le(p + 2, op->key_len, 2);
    fl_client_put_le(p + 4, op->value_len, 4);
    fl_client_put_le(p + 8, (uint64_t)op->a, 8);
    fl_client_put_le(p + 16, (uint64_t)op->b, 8);
    for (size_t i = 0; i < op->key_len; i++)
        p[FL_CLIENT_OP_HEADER + i] = (unsigned char)op->key[i];
    for (size_t i = 0; i < op->value_len; i++)
        p[FL_CLIENT_OP_HEADER + op->key_len + i] = (unsigned char)op->value[i];
    return need;
}

/* Decode len bytes.  Returns 0, or -1 when they are not a well-formed operation. */
static inline int fl_client_op_decode(const void *buf, size_t len, fl_client_op *op)
{
    const unsigned char *p = (const unsigned char *)buf;
    if (len < FL_CLIENT_OP_HEADER || p[0] != 0xF1 || p[1] < FL_CLIENT_READ ||
        p[1] > FL_CLIENT_APPEND)
        return -1;
    op->f = p[1];
    op->key_len = (size_t)fl_client_get_le(p + 2, 2);
    op->value_len = (size_t)fl_client_get_le(p + 4, 4);
    op->a = (int64_t)fl_client_get_le(p + 8, 8);
    op->b = (int64_t)fl_client_get_le(p + 16, 8);
    if (op->key_len > FL_CLIENT_KEY_MAX || op->value_len > FL_CLIENT_VALUE_MAX ||
        len != FL_CLIENT_OP_HEADER + op->key_len + op->value_len)
        return -1;
    op->key = (const char *)p + FL_CLIENT_OP_HEADER;
    op->value = op->key + op->key_len;
    return 0;
}

/* Encode r into buf; returns the length, or 0 when it does not fit. */
static inline size_t fl_client_result_encode(const fl_client_result *r, void *buf, size_t cap)
{
    size_t need = FL_CLIENT_RESULT_HEADER + r->str_len;
    if (r->str_len > FL_CLIENT_VALUE_MAX || need > cap)
        return 0;
    unsigned char *p = (unsigned char *)buf;
    p[0] = 0xF2;
    p[1] = (unsigned char)(r->type == FL_CLIENT_OK ? FL_CLIENT_OK : FL_CLIENT_FAIL);
    p[2] = (unsigned char)(r->is_null != 0);
    p[3] = 0;
    fl_client_put_le(p + 4, r->str_len, 4);
    fl_client_put_le(p + 8, (uint64_t)r->value, 8);
    for (size_t i = 0; i < r->str_len; i++)
        p[FL_CLIENT_RESULT_HEADER + i] = (unsigned char)r->str[i];
    return need;
}

static inline int fl_client_result_decode(const void *buf, size_t len, fl_client_result *r)
{
    const unsigned char *p = (const unsigned char *)buf;
    if (len < FL_CLIENT_RESULT_HEADER || p[0] != 0xF2 || p[1] > FL_CLIENT_FAIL || p[2] > 1 ||
        p[3] != 0)
        return -1;
    r->type = p[1];
    r->is_null = p[2];
    r->str_len = (size_t)fl_client_get_le(p + 4, 4);
    r->value = (int64_t)fl_client_get_le(p + 8, 8);
    if (r->str_len > FL_CLIENT_VALUE_MAX || len != FL_CLIENT_RESULT_HEADER + r->str_len)
        return -1;
    r->str = (const char *)p + FL_CLIENT_RESULT_HEADER;
    return 0;
}

/* Answer client operation op_id (given to on_client_op of this node), with result in
 * the encoding above (copied).  Returns 0 when it completed the operation, or -1 when
 * the operation is not waiting for this node's answer (answered already, timed out,
 * asked of another node): that is not a misuse, the answer is dropped.  A node that
 * restarted may answer operations asked of its earlier incarnation.  A result that does not decode
 * is a misuse (the run ends as crash, check protocol_error). */
int fl_client_reply(fl_node *n, uint64_t op_id, const void *result, size_t len);

/* ---- helpers for configure() ---- */

/* Parse a duration: an integer or decimal number with a unit (ns, us, ms, s, m), e.g.
 * "150ms", "1.5s", or the bare number 0.  Returns 0, or -1 (FL_EINVAL) when s is not
 * one (negative, no unit, not exact to the nanosecond, overflow). */
int fl_parse_duration(const char *s, int64_t *ns);

/* ---- services for the observer ---- */

int fl_cluster_nodes(const fl_cluster *c);   /* N */
int64_t fl_cluster_now(const fl_cluster *c); /* virtual time, ns */
/* The state of node `id` (1..N), or NULL while it is down. */
const void *fl_cluster_state(const fl_cluster *c, int id);
int fl_cluster_node_up(const fl_cluster *c, int id);
/* When the liveness phase started (every fault healed, every node up), or -1 if the
 * run has no fault window. */
int64_t fl_cluster_quiet_since(const fl_cluster *c);
/* The params object of the run (may be NULL). */
const cJSON *fl_cluster_params(const fl_cluster *c);
/* Set the run's metric `name` to value (the observer's view of the run, e.g.
 * "raft.max_term"); an output only, like fl_metric_add. */
void fl_cluster_metric_set(const fl_cluster *c, const char *name, int64_t value);

/* ---- the Raft observer: our Raft's invariants for any Raft-like protocol ----
 *
 * A protocol that keeps a Raft log plugs these into its fl_protocol (observer_size =
 * FL_RAFT_OBSERVER_SIZE, check, check_end, report, observer_free) and gets the checks
 * our Raft has: election_safety, leader_append_only, log_matching, leader_completeness,
 * state_machine_safety, durability, and liveness at the end (docs/writing-a-protocol.md,
 * "The Raft observer").  It reads each node's state through two functions of an
 * adapter; the names follow the snapshot keys of a Raft node (role, term, commit,
 * last_index, log).  The observer hashes the entries itself (term, type, data), so two
 * logs agree up to an index when their chains do. */

enum { FL_RAFT_FOLLOWER = 0, FL_RAFT_CANDIDATE = 1, FL_RAFT_LEADER = 2 };

/* A node's state as the observer needs it. */
struct fl_raft_view {
    int role;            /* "role": FL_RAFT_*; anything else counts as a follower */
    uint64_t term;       /* "term": the current term */
    uint64_t commit;     /* "commit": the commit index */
    uint64_t last_index; /* "last_index": the log holds entries 1..last_index */
    uint64_t stable;     /* entries 1..stable are durable (covered by a completed sync) */
    int64_t started_ns;  /* when this incarnation started (fl_now() in start) */
    uint64_t append_seq; /* the seq of the newest entry appended in this incarnation */
};

/* One entry of the log (entry `index` of "log"). */
struct fl_raft_entry {
    uint64_t term;
    uint64_t seq;     /* grows with every append in this incarnation: an entry that is
                       * replaced gets a new, larger seq, so the observer sees it as new */
    int type;         /* the protocol's entry type, any number (hashed with the data) */
    const void *data; /* len bytes, borrowed until the callback returns */
    uint32_t len;
};

/* How the observer reads a protocol's node state (the fl_cluster_state pointer). */
struct fl_raft_adapter {
    void (*view)(const void *state, struct fl_raft_view *out);
    void (*entry)(const void *state, uint64_t index, struct fl_raft_entry *out); /* 1..last */
    /* The base election timeout for the run's params: liveness is judged ten of them
     * after the faults healed. */
    int64_t (*election_ns)(const cJSON *params);
};

/* Observer memory the Raft observer needs (the protocol's observer_size). */
#define FL_RAFT_OBSERVER_SIZE 512

/* The protocol's check and check_end call these with its adapter; report and
 * observer_free can be these functions themselves.  Metrics: raft.elections,
 * raft.leaders, raft.leader_changes, raft.proposals, raft.commits, raft.max_term,
 * raft.first_leader_ns. */
int fl_raft_check(const fl_cluster *c, void *observer, int node, const struct fl_raft_adapter *a,
                  fl_violation *v);
int fl_raft_check_end(const fl_cluster *c, void *observer, const struct fl_raft_adapter *a,
                      fl_violation *v);
void fl_raft_report(const fl_cluster *c, void *observer);
void fl_raft_observer_free(void *observer);

#ifdef __cplusplus
}
#endif

#endif /* FL_CORE_FAULTLINE_H */

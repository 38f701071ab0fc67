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
#define FL_API_VERSION 2

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
     * which is much cheaper than a tree, and parsed when a tree is needed.  May be
     * NULL. */
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
};

/* The size of struct fl_protocol as a protocol of api_version v has it (the members
 * through v's block), or 0 for a version this header does not know. */
#define FL_PROTOCOL_SIZE_V1 offsetof(struct fl_protocol, process_init)
#define FL_PROTOCOL_SIZE_V2 sizeof(struct fl_protocol)

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

#ifdef __cplusplus
}
#endif

#endif /* FL_CORE_FAULTLINE_H */

/*
 * schedule.h -- fault schedules: a timed list of fault actions, generated from a seed
 * (the nemesis), written out as JSON and parsed back.
 *
 * A schedule is plain data, fixed before the run starts: applying it (faults/apply.h)
 * never changes it, so one schedule can be written out, recorded and applied to
 * several worlds.  Entries are kept in time order; equal times keep their file order.
 *
 * Invariants of every schedule this module hands out (generated or parsed):
 *   - entries are in non-decreasing at_ns order, inside [0, until_ns];
 *   - a crash names a node that is up at that point, a restart one that is down;
 *   - a partition puts every node 1..N in exactly one group, and its allow pairs name
 *     existing groups.
 * Generated schedules also keep every fault inside the window and, when there is a
 * window, end it with a heal, the restart of every down node and a clock reset of
 * every drifted node, all at the window's end (the start of the liveness phase).
 *
 * JSON shape (DESIGN.md "Schedules"), one entry per line when written:
 *   {"at_ns":1000000000,"kind":"partition","name":"halves","groups":[[1],[2,3]],"allow":[]}
 *   {"at_ns":1500000000,"kind":"heal"}
 *   {"at_ns":2000000000,"kind":"crash","node":2}
 *   {"at_ns":2500000000,"kind":"restart","node":2}
 *   {"at_ns":3000000000,"kind":"timeout","node":1,"timer":"election"}   (timer optional)
 *   {"at_ns":3500000000,"kind":"clock","node":3,"ppm":-20000}
 * Hand-written files may give "at": "1.2s" instead of "at_ns".
 */
#ifndef FL_FAULTS_SCHEDULE_H
#define FL_FAULTS_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "faults/config.h"

/* Fault kinds.  The first six are schedule entries; the last three are per-message
 * faults of the network policy, which have counters but no entries. */
enum fl_fault_kind {
    FL_FAULT_PARTITION = 0,
    FL_FAULT_HEAL,
    FL_FAULT_CRASH,
    FL_FAULT_RESTART,
    FL_FAULT_TIMEOUT,
    FL_FAULT_CLOCK,
    FL_FAULT_KIND_COUNT, /* schedule entry kinds end here */
    FL_FAULT_DROP = FL_FAULT_KIND_COUNT,
    FL_FAULT_DUPLICATE,
    FL_FAULT_DELAY,
    FL_FAULT_STAT_COUNT
};
/* "partition", "heal", ..., "drop", "duplicate", "delay"; NULL when out of range. */
const char *fl_fault_kind_name(int kind);
/* The entry kind named `name` (schedule kinds only), or -1. */
int fl_fault_kind_parse(const char *name);

#define FL_FAULT_NAME_MAX 32              /* partition and timer names, with the NUL */
#define FL_SCHEDULE_MAX_ENTRIES 1000000   /* more is a runaway rate, not a test */
#define FL_SCHEDULE_MAX_CELLS (64u << 20) /* sum over partitions of (nodes + 1) */
#define FL_CLOCK_MAX_PPM 500000           /* |drift|: timers at most 50% off */

/* A partition: a group per node plus the ordered group pairs that may also talk.
 * Nodes of one group always reach each other; a message from group a to group b
 * (a != b) passes only when (a, b) is allowed.  O(N) memory, never O(N^2). */
typedef struct fl_partition {
    char name[FL_FAULT_NAME_MAX]; /* "isolate", "halves", ... or a hand-written name */
    int nodes;
    int ngroups;
    int32_t *group_of; /* [nodes + 1]; group_of[0] unused */
    size_t nallow;
    int32_t *allow;         /* 2 * nallow: pairs as given, for writing back */
    uint64_t *allow_sorted; /* (a << 32 | b), sorted and unique, for lookup */
    size_t nallow_sorted;
    /* The clients map of a hand-written partition (docs/faults.md): client process ->
     * the groups it reaches, as a mask of group indexes (< 64); processes not listed
     * reach every group.  Sorted by process.  NULL / 0: clients reach every node. */
    int32_t *client_process;
    uint64_t *client_groups;
    size_t nclients;
} fl_partition;

#define FL_PARTITION_CLIENT_GROUPS 64 /* a clients map names groups 0..63 */

/* Nonzero when p cuts client `process` off node `node` (1..nodes). */
int fl_partition_cuts_client(const fl_partition *p, int process, int node);

/* Nonzero when p stops a message from src to dst (both 1..nodes).  O(log allow). */
int fl_partition_cuts(const fl_partition *p, int src, int dst);

/* Targets bound when an entry fires (docs/faults.md "Selectors"): "node":
 * {"select": "leader"} and the others.  FL_SELECT_ENTRY names the node another entry
 * acted on ({"select": "entry", "entry": 3}), so that a crash of the leader has its
 * own restart. */
enum fl_select {
    FL_SELECT_NONE = 0, /* the entry names its node */
    FL_SELECT_LEADER,
    FL_SELECT_FOLLOWER,
    FL_SELECT_RANDOM_UP,
    FL_SELECT_LAST_LEADER,
    FL_SELECT_ENTRY,
    FL_SELECT_COUNT
};
/* "leader", "follower", "random-up", "last-leader", "entry"; NULL for NONE. */
const char *fl_select_name(int select);
int fl_select_parse(const char *name); /* -1 if unknown */

/* A crash at a sync: just before or just after one of the node's syncs completes. */
enum { FL_SYNC_NONE = 0, FL_SYNC_BEFORE, FL_SYNC_AFTER };

/* One entry.  Only the fields of its kind are meaningful. */
typedef struct fl_fault {
    int64_t at_ns;
    int kind;                      /* enum fl_fault_kind, < FL_FAULT_KIND_COUNT */
    int node;                      /* crash, restart, timeout, clock; 0 with a selector */
    int32_t ppm;                   /* clock: timer drift in parts per million */
    char timer[FL_FAULT_NAME_MAX]; /* timeout: "" means the protocol's first timer */
    fl_partition *part;            /* partition: owned by the schedule; NULL when isolate */
    /* Issue 16: aimed faults. */
    int select;                  /* enum fl_select: crash, restart, timeout, partition's isolate */
    uint32_t select_entry;       /* FL_SELECT_ENTRY: the earlier entry (1-based) it follows */
    int selected;                /* a resolved selector written back ("selected"): enum fl_select;
                                  * the node is plain, but the entry skips the up/down checks */
    int sync;                    /* crash: FL_SYNC_*; it waits for a sync of its node */
    int64_t within_ns;           /* sync crash: the sync must complete within (at_ns, +within] */
    uint64_t sync_id;            /* sync crash: only the node's sync with this id (0: any) */
    int isolate;                 /* partition: built when it fires around node / select */
    int with;                    /* isolate: this many other nodes share the target's group */
    char tag[FL_FAULT_NAME_MAX]; /* the generated kind it belongs to ("leader_crash"), or "" */
} fl_fault;

typedef struct fl_schedule fl_schedule;

/* A message entry of a format-2 schedule: what happens to one message, named by its
 * identity -- the nth (1, 2, ...) original send on the directed link (from, to); copies
 * do not count -- whenever the run sends it.  JSON:
 *   {"kind":"drop","from":1,"to":2,"nth":37}
 *   {"kind":"duplicate","from":1,"to":2,"nth":37}
 *   {"kind":"delay","from":1,"to":2,"nth":37,"extra_ns":5000000}
 * A message has at most one entry of each kind, and a dropped one no other. */
typedef struct fl_msg_fault {
    int from, to;
    uint32_t nth;
    int kind;         /* FL_FAULT_DROP, FL_FAULT_DUPLICATE or FL_FAULT_DELAY */
    int64_t extra_ns; /* delay: the extra delay, >= 0 */
    uint32_t pos;     /* its place (1-based) among the file's entries, for messages */
} fl_msg_fault;

/* What a schedule's message entries say about one message. */
typedef struct fl_msg_decision {
    int drop, duplicate, delay;
    int64_t extra_ns;
} fl_msg_decision;

/* Generate the schedule of one run from the faults config, the node count, the seed
 * and the run length.  Each entry kind draws from its own stream forked from the seed
 * as ("faults", kind), so switching one kind on or off does not move the others.  cfg
 * is taken as it is: apply swarm mode to it first (fl_faults_swarm), once per run.  Returns 0 and
 * *out (free with fl_schedule_free), or FL_EINVAL / FL_ELIMIT / FL_ENOMEM with a message in err. */
int fl_schedule_generate(const fl_faults_config *cfg, int nodes, uint64_t seed, int64_t until_ns,
                         fl_schedule **out, char *err, size_t cap);

/* What cfg asks for that a cluster of `nodes` can never produce: partition kinds it is
 * too small for (bridge needs 3 nodes; ring 4: on 3 it would be the full mesh).  Writes
 * one line into buf ("faults.partition.kinds: ring needs at least 4 nodes, the scenario
 * has 3; it is never drawn") and returns 1, or returns 0 when everything can happen.
 * Partitions that are off (every 0) ask for nothing. */
int fl_faults_config_unproducible(const fl_faults_config *cfg, int nodes, char *buf, size_t cap);

/* Swarm mode: when cfg->swarm is set, switch each fault kind (partition, crash,
 * timeout, clock, drop, duplicate, spike) on or off and scale its rate by 1/4..4,
 * from the seed's "swarm" stream, then clear cfg->swarm so that a second call does
 * nothing.  A kind the scenario leaves off stays off.  net may be NULL. */
void fl_faults_swarm(fl_faults_config *cfg, fl_net_faults *net, uint64_t seed);

/* Parse schedule text for a run of `nodes` nodes lasting until_ns, validating every
 * entry: format 1 is a JSON array of timed entries; format 2 an object
 * {"version": 2, "entries": [...], "messages": "seed" | "only", "ops": [...]} whose
 * entries may also be message entries ("ops", optional: the workload ops to issue,
 * 1-based, ascending) ("messages" defaults to "seed": the seed's per-message faults
 * still happen, except to the messages an entry names; "only": none but the entries).
 * Nothing but whitespace may follow the JSON.  Errors name the entry (1-based) and
 * the field: "schedule[3].node: expected a node id in [1,3], got 7".  `reached` and
 * `took_effect` are results of a run, never inputs: an entry that has them is refused.
 * Returns 0 and *out, or FL_EPARSE (malformed JSON) / FL_EINVAL / FL_ELIMIT /
 * FL_ENOMEM with a message in err. */
int fl_schedule_parse(const char *text, size_t len, int nodes, int64_t until_ns, fl_schedule **out,
                      char *err, size_t cap);
/* The same from an already parsed array (borrowed). */
int fl_schedule_from_json(const cJSON *arr, int nodes, int64_t until_ns, fl_schedule **out,
                          char *err, size_t cap);

void fl_schedule_free(fl_schedule *s); /* NULL is a no-op */

size_t fl_schedule_len(const fl_schedule *s);
int fl_schedule_nodes(const fl_schedule *s);
/* Entry i (0-based), borrowed from s; i < fl_schedule_len(s). */
const fl_fault *fl_schedule_entry(const fl_schedule *s, size_t i);
/* Entries of each kind (index: enum fl_fault_kind < FL_FAULT_KIND_COUNT). */
void fl_schedule_count(const fl_schedule *s, uint64_t counts[FL_FAULT_KIND_COUNT]);

/* The whole schedule as JSON text in its format: format 1 "[\n" + one entry per line +
 * "]\n" ("[]\n" when empty); format 2 {"version":2,"messages":...,"entries":[...]}
 * with the timed entries first, then the message entries.  Integers are exact.
 * Returns a malloc'd string (caller frees with free()) or NULL when out of memory.
 * Parsing it back gives the same schedule. */
char *fl_schedule_to_text(const fl_schedule *s);

/* The format (1 or 2) and whether the seed's per-message faults are off ("only"). */
int fl_schedule_format(const fl_schedule *s);
int fl_schedule_messages_only(const fl_schedule *s);
size_t fl_schedule_msg_len(const fl_schedule *s);
/* Format 2's "ops": 1 with *ops (ascending, unique, borrowed from s) and *n when the
 * schedule names the workload ops to issue (every other op is skipped, its time and
 * node kept for the next), 0 when every op is issued. */
int fl_schedule_ops(const fl_schedule *s, const uint64_t **ops, size_t *n);
/* Message entry i (0-based, in file order), borrowed from s. */
const fl_msg_fault *fl_schedule_msg(const fl_schedule *s, size_t i);
/* Fill d with what the message entries say about message (from, to, nth) and return
 * 1, or return 0 when no entry names it.  O(log entries). */
int fl_schedule_msg_decision(const fl_schedule *s, int from, int to, uint32_t nth,
                             fl_msg_decision *d);
/* One message entry as compact JSON (the `faults.spec` column), malloc'd, or NULL. */
char *fl_msg_fault_text(const fl_msg_fault *m);
/* A format-2 schedule with "messages": "only" made of the given entries (each one
 * entry's compact JSON, as fl_schedule_entry_text and fl_msg_fault_text give them), one
 * per line: what `run --write-schedule` writes.  malloc'd, or NULL. */
char *fl_schedule_join_only(const char *const *entries, size_t n);
/* One entry as compact JSON (the `faults.spec` column), malloc'd, or NULL. */
char *fl_schedule_entry_text(const fl_schedule *s, size_t i);

/* When the liveness phase starts for this schedule: the later of window_to_ns and the
 * last entry, provided the schedule ends with no partition and every node up; -1 when
 * window_to_ns <= 0 (no window) or the schedule leaves a fault in place. */
int64_t fl_schedule_quiet_since(const fl_schedule *s, int64_t window_to_ns);
/* Why a non-empty schedule gives the run no liveness phase (fl_schedule_quiet_since
 * is -1), as one clause into why: "the schedule leaves node 2 down and a partition in
 * place at its end".  Returns 1 with why filled in, or 0 when there is a liveness phase
 * or the schedule is empty (no faults: nothing to recover from). */
int fl_schedule_liveness_gap(const fl_schedule *s, int64_t window_to_ns, char *why, size_t cap);

#endif /* FL_FAULTS_SCHEDULE_H */

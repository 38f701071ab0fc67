/*
 * record.h -- the record stream: what a run tells the outside world, as typed records
 * handed to sinks.
 *
 * A run emits records; sinks consume them.  The world emits the per-step kinds (step
 * begin and end, send, fate, log line, state); the run layer (sim/run/) adds the run's
 * begin, its fault entries and metrics, and its end with the result.  The sinks are
 * the SQLite recorder (storage/), the trace printer, the pipe frames of a sweep worker
 * and replay's chain check (sim/run/).  docs/pipeline.md is the user-facing contract.
 *
 * Order: RUN_BEGIN first; then per step S: STEP_BEGIN(S), the step's SEND, FATE, LOG
 * and STATE records, STEP_END(S) with the digest chain.  A message's FATE may come in
 * a later step than its SEND (or at run end, fate in_flight, outside any step).  At
 * run end: the remaining FATEs, then FAULT (one per schedule entry) and METRIC (name
 * order) records, then RUN_END.  STEP_BEGIN is emitted lazily, just before the step's
 * first record or its end, so that an action can still set the step's detail.
 *
 * Lifetimes: every pointer in a record is valid during the consume call only.  A sink
 * never calls back into the world.  A sink's first error is kept by the stream, and
 * later records are not given to that sink (fl_stream_error tells which failed).
 *
 * Each sink says which kinds it wants (a bit mask); records of kinds nobody wants are
 * not even built, so a sweep worker that records nothing formats no message
 * description and no snapshot.
 */
#ifndef FL_CORE_RECORD_H
#define FL_CORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum fl_record_kind {
    FL_REC_RUN_BEGIN = 0,
    FL_REC_STEP_BEGIN,
    FL_REC_STEP_END,
    FL_REC_SEND,
    FL_REC_FATE,
    FL_REC_LOG,
    FL_REC_STATE,
    FL_REC_FAULT,
    FL_REC_METRIC,
    FL_REC_RUN_END,
    FL_REC_CLIENT, /* a client operation's invocation or completion (the history table) */
    FL_REC_KIND_COUNT
};
#define FL_REC_BIT(kind) (UINT32_C(1) << (kind))
/* Not a kind: a sink that sets it wants SEND and FATE records to carry the message's
 * description (the protocol's describe text), computed once per message at send. */
#define FL_REC_WANT_DESC (UINT32_C(1) << 31)
/* Not a kind: a sink that sets it wants STATE records to carry the whole state text
 * (json) besides the change; the others get json NULL, so that a full recording does
 * not push every copy of a long state down a worker's pipe. */
#define FL_REC_WANT_STATE_TEXT (UINT32_C(1) << 30)
#define FL_REC_ALL (FL_REC_BIT(FL_REC_KIND_COUNT) - 1)
/* The kinds a step may emit: a stream that wants none of them costs a step nothing. */
#define FL_REC_PER_STEP                                                                            \
    (FL_REC_BIT(FL_REC_STEP_BEGIN) | FL_REC_BIT(FL_REC_STEP_END) | FL_REC_BIT(FL_REC_SEND) |       \
     FL_REC_BIT(FL_REC_FATE) | FL_REC_BIT(FL_REC_LOG) | FL_REC_BIT(FL_REC_STATE))

const char *fl_record_kind_name(int kind); /* "step_end", ... */

/* The result of one run: what the `runs` row holds besides its identity.  Strings are
 * inline, so a result can be copied, sent down a pipe and kept. */
typedef struct fl_run_result {
    int outcome;       /* enum fl_outcome; fl_outcome_name() gives the text */
    char check[64];    /* the failed check ("election_safety", "script", "crash"), or "" */
    char detail[448];  /* what was seen, or "" */
    int64_t fail_step; /* -1 when the run did not fail */
    int64_t fail_time_ns;
    uint64_t steps;
    int64_t sim_time_ns;
    uint64_t msgs_sent, msgs_delivered, msgs_dropped;
    uint64_t faults; /* fault decisions that took effect */
    int64_t wall_us; /* reporting only: never seen by the run */
    char digest[17]; /* 16 lowercase hex digits */
    /* One line of fault accounting for summaries: "partition 3/4, crash 1/2" (took
     * effect / scheduled), or "". */
    char faults_text[512];
    int nodes; /* the run's node count (faults.swarm_params may draw it); 0: the scenario's */
} fl_run_result;

typedef struct fl_rec_run_begin {
    uint64_t seed;
    int nodes;
    const char *protocol;
    const char *schedule_json; /* the schedule or script this run follows; may be NULL */
} fl_rec_run_begin;

/* STEP_BEGIN and STEP_END.  chain is the digest chain after the step (STEP_END only). */
typedef struct fl_rec_step {
    uint64_t step;
    int64_t time_ns;
    int kind; /* enum fl_step_kind */
    int node, peer;
    uint64_t msg_id;
    const char *detail; /* "" when there is none */
    uint64_t chain;
} fl_rec_step;

/* SEND and FATE share the message's fields.  For SEND, fate is in_flight and
 * fate_step the sending step; deliver_ns is the planned delivery instant (-1: held, no
 * time yet). */
typedef struct fl_rec_msg {
    uint64_t id;
    int src, dst;
    uint64_t sent_step;
    int64_t sent_ns, deliver_ns;
    int fate;           /* enum fl_fate */
    uint64_t fate_step; /* the step that decided the fate (for in_flight: the last step) */
    const void *body;
    uint32_t len;
    const char *desc; /* with FL_REC_WANT_DESC; else NULL */
    /* its identity for keyed decisions (core/world.h): index among the original sends
     * on (src, dst), and 0 for an original, k for the k-th copy of a duplicate */
    uint32_t nth;
    int copy;
} fl_rec_msg;

typedef struct fl_rec_log {
    uint64_t step;
    int64_t time_ns;
    int node, level;
    const char *text;
} fl_rec_log;

/* A node's state after a step in which it changed, as the change (core/statediff.h:
 * scalars whole, parts as edits of the arrays and objects, keyframe) and, with
 * FL_REC_WANT_STATE_TEXT, as the whole snapshot text json ("null" when the node is down
 * or has no snapshot; NULL without the flag). */
typedef struct fl_rec_state {
    uint64_t step;
    int64_t time_ns;
    int node;
    const char *json;
    const char *scalars; /* never NULL */
    const char *parts;   /* NULL: no array or object member changed */
    int keyframe;
} fl_rec_state;

/* One entry of the materialised fault schedule (the `faults` table). */
typedef struct fl_rec_fault {
    uint64_t seq; /* 1-based entry number */
    int64_t at_ns;
    const char *kind;
    const char *spec; /* compact JSON of the entry, or NULL */
    int reached;      /* the run got to the entry's time */
    int took_effect;  /* and it happened */
} fl_rec_fault;

typedef struct fl_rec_metric {
    const char *name;
    int64_t value;
} fl_rec_metric;

/* A client operation's invocation (type invoke) or completion (ok, fail, info): the
 * `history` table's row is inserted at the invocation and completed at the completion.
 * Values are JSON text in Jepsen's vocabulary (docs/linearizability.md): value is the
 * invocation's ("3", "[3,4]", "\"a\"", "null"), result the output of an ok read or
 * get ("4", "null", "\"ab\""), else NULL. */
enum fl_client_event { FL_CEV_INVOKE = 0, FL_CEV_OK, FL_CEV_FAIL, FL_CEV_INFO, FL_CEV_COUNT };
const char *fl_client_event_name(int type); /* "invoke", "ok", "fail", "info" */

typedef struct fl_rec_client {
    uint64_t op_id; /* 1, 2, ... in invocation order */
    int process;
    int type;           /* enum fl_client_event */
    const char *f;      /* "read", "write", "cas", "get", "put", "append" */
    const char *key;    /* kv: the key; NULL for register operations */
    const char *value;  /* JSON text */
    const char *result; /* JSON text, or NULL */
    int node;           /* the node the client asked */
    uint64_t invoke_step;
    int64_t invoke_ns;
    int64_t complete_step, complete_ns; /* -1 in an invocation */
} fl_rec_client;

typedef struct fl_record {
    int kind; /* enum fl_record_kind */
    union {
        fl_rec_run_begin begin;
        fl_rec_step step; /* STEP_BEGIN, STEP_END */
        fl_rec_msg msg;   /* SEND, FATE */
        fl_rec_log log;
        fl_rec_state state;
        fl_rec_fault fault;
        fl_rec_metric metric;
        const fl_run_result *end; /* RUN_END */
        fl_rec_client client;
    } u;
} fl_record;

/* A consumer of records.  consume returns 0, or a negative FL_E code: the stream keeps
 * the first error and gives this sink nothing more. */
typedef struct fl_sink {
    const char *name; /* for error messages: "recorder", "trace" */
    uint32_t wants;   /* FL_REC_BIT()s, plus FL_REC_WANT_DESC */
    void *ctx;
    int (*consume)(void *ctx, const fl_record *r);
} fl_sink;

#define FL_STREAM_MAX_SINKS 8

/* The sinks of one run.  Caller-provided storage (fl_stream_init); no allocation. */
typedef struct fl_stream {
    fl_sink sinks[FL_STREAM_MAX_SINKS];
    int errs[FL_STREAM_MAX_SINKS];
    int n;
    uint32_t wants; /* the union of the sinks' wants */
} fl_stream;

void fl_stream_init(fl_stream *s);
/* Add a sink (copied).  Returns 0 or FL_ELIMIT. */
int fl_stream_add(fl_stream *s, const fl_sink *k);
static inline int fl_stream_wants(const fl_stream *s, int kind)
{
    return (s->wants & FL_REC_BIT(kind)) != 0;
}
/* Give r to every sink that wants its kind and has not failed. */
void fl_stream_emit(fl_stream *s, const fl_record *r);
/* The first error of any sink (0: none), and that sink's name in *name. */
int fl_stream_error(const fl_stream *s, const char **name);

#endif /* FL_CORE_RECORD_H */

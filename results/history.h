/*
 * history.h -- an in-memory history of client operations, the input of the
 * linearizability checker (results/lin.h).
 *
 * A history is a vector of operations in invocation order.  Each operation has the
 * process that issued it, its function (register read/write/cas, kv get/put/append),
 * its inputs, its output and how it completed:
 *
 *   FL_DONE_OK    it took effect, with that output;
 *   FL_DONE_FAIL  it did not take effect -- except cas, whose fail is the definite
 *                 answer "the register did not hold the expected value";
 *   FL_DONE_INFO  unknown: it may take effect at any point after its invocation, or never;
 *   FL_DONE_NONE  never completed: the same as info.
 *
 * Real time is given by event indexes: every invocation and every completion gets the
 * next index of one counter, so op A precedes op B iff A.complete_index <
 * B.invoke_index.  invoke_ns / complete_ns and the step numbers are carried for later
 * use (reports, the web UI) and are -1 when unknown; the checker does not read them.
 *
 * Strings (kv keys and values) live in the history's string table and are named by id;
 * id 0 is always the empty string.  Register values are int64; a read that returned
 * null (never written) has out_null set.
 *
 * Simulated clients build a history with fl_history_invoke_*() and
 * fl_history_complete_*(); files are read with fl_history_read_jsonl() (JSON lines in
 * Jepsen's vocabulary, see docs/linearizability.md).  Sizes are bounded
 * (FL_HISTORY_OPS_MAX, FL_HISTORY_LINE_MAX): exceeding them is FL_ELIMIT.
 */
#ifndef FL_RESULTS_HISTORY_H
#define FL_RESULTS_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FL_HISTORY_OPS_MAX 10000000u      /* operations in one history */
#define FL_HISTORY_LINE_MAX (1u << 20)    /* bytes in one JSON line */
#define FL_HISTORY_STRINGS_MAX (1u << 30) /* bytes of distinct strings */

typedef enum fl_op_f {
    FL_F_READ = 0, /* register: out = the value read (or null) */
    FL_F_WRITE,    /* register: in1 = the value written */
    FL_F_CAS,      /* register: in1 = expected, in2 = new */
    FL_F_GET,      /* kv: out = string id of the value read ("" when never written) */
    FL_F_PUT,      /* kv: in1 = string id of the value */
    FL_F_APPEND,   /* kv: in1 = string id of the suffix */
    FL_F_COUNT
} fl_op_f;

typedef enum fl_op_type {
    FL_DONE_OK = 0,
    FL_DONE_FAIL,
    FL_DONE_INFO,
    FL_DONE_NONE /* still outstanding at the end of the history */
} fl_op_type;

typedef struct fl_op {
    int32_t process;
    uint8_t f;                            /* fl_op_f */
    uint8_t type;                         /* fl_op_type */
    uint8_t out_null;                     /* register read: returned null */
    uint32_t key;                         /* kv: string id of the key; 0 for register ops */
    int64_t in1, in2;                     /* see fl_op_f; kv values are string ids */
    int64_t out;                          /* read / get output (only meaningful with type ok) */
    int64_t invoke_index, complete_index; /* complete_index -1: never completed */
    int64_t invoke_ns, complete_ns;       /* -1: unknown */
    int64_t invoke_step, complete_step;   /* -1: unknown */
} fl_op;

typedef struct fl_history fl_history;

/* A new empty history, or NULL when out of memory.  Caller frees with
 * fl_history_free(); fl_history_free(NULL) is a no-op. */
fl_history *fl_history_new(void);
void fl_history_free(fl_history *h);

size_t fl_history_len(const fl_history *h);
/* Operation i (< len), in invocation order; borrowed, valid until the next change. */
const fl_op *fl_history_op(const fl_history *h, size_t i);
fl_op *fl_history_op_mut(fl_history *h, size_t i);
/* The bytes of string id (not NUL-terminated inside; *len gets the length). */
const char *fl_history_str(const fl_history *h, uint32_t id, size_t *len);
/* 1 when the history has kv operations, 0 when register only (or empty). */
int fl_history_is_kv(const fl_history *h);

/* Intern len bytes as a string id (copied).  0, FL_ENOMEM or FL_ELIMIT. */
int fl_history_intern(fl_history *h, const char *s, size_t len, uint32_t *id);

/* Record an invocation by `process` (which must have no outstanding operation) and
 * give it the next event index.  Register: f is READ/WRITE/CAS, a and b as in
 * fl_op_f.  kv: f is GET/PUT/APPEND, key and value copied (value ignored for GET).
 * *op gets the operation's index.  0, FL_EINVAL (process busy, wrong f, mixing
 * register and kv ops), FL_ELIMIT or FL_ENOMEM. */
int fl_history_invoke_reg(fl_history *h, int process, int f, int64_t a, int64_t b, size_t *op);
int fl_history_invoke_kv(fl_history *h, int process, int f, const char *key, size_t key_len,
                         const char *value, size_t value_len, size_t *op);
/* Complete operation op (outstanding) with type OK/FAIL/INFO and the next event
 * index.  A register read's output is `out`, or null when out_null; a kv get's output
 * is value.  0, FL_EINVAL (not outstanding, bad type) or FL_ENOMEM. */
int fl_history_complete_reg(fl_history *h, size_t op, int type, int out_null, int64_t out);
int fl_history_complete_kv(fl_history *h, size_t op, int type, const char *value, size_t value_len);

/* 1 and *op = the index of process's outstanding operation, or 0 when it has none. */
int fl_history_outstanding(const fl_history *h, int process, size_t *op);

/* Read JSON lines (see docs/linearizability.md) from f into h, which must be empty.
 * name is used in messages.  Returns 0, or FL_EPARSE / FL_ELIMIT / FL_EIO / FL_ENOMEM
 * with "name:LINE: why" (or "name: why") in err. */
int fl_history_read_jsonl(fl_history *h, FILE *f, const char *name, char *err, size_t cap);
/* The same on text in memory (len bytes). */
int fl_history_parse_jsonl(fl_history *h, const char *text, size_t len, const char *name, char *err,
                           size_t cap);

/* "read", "write", ... for FL_F_*; "ok", "fail", "info", "none" for FL_DONE_*. */
const char *fl_op_f_name(int f);
const char *fl_op_type_name(int type);
/* A short description of op i ("process 2: read -> 4", "process 1: cas(3, 4) fail",
 * "process 3: append x \"a\" info"), cut to fit cap.  Returns buf. */
const char *fl_history_describe(const fl_history *h, size_t i, char *buf, size_t cap);

#endif /* FL_RESULTS_HISTORY_H */

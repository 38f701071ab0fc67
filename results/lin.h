/*
 * lin.h -- the linearizability checker: is there a total order of a history's
 * operations, consistent with their real-time order, in which every operation gives the
 * output a sequential register (or key-value store) would give?
 *
 * The search is Wing and Gong's, with Lowe's memoisation ("Testing for
 * linearizability", 2017), as Porcupine does it: operations are lifted out of a linked
 * list of call and return entries in real-time order; a configuration (the set of
 * linearized operations, the model state) seen once is never explored again.  For the
 * kv model each key is checked alone (P-compositionality: a history is linearizable
 * iff every key's sub-history is), unless FL_LIN_KV_WHOLE asks for one object.
 *
 * Operations that completed with info, or never completed, may take effect at any point
 * after their invocation, or never; reads and gets that did not complete ok, and writes
 * that failed, constrain nothing and are left out.  A failed cas is kept: it says the
 * register did not hold the expected value at some point inside its interval.
 *
 * The result is deterministic: the same history and budget give the same verdict,
 * report and state count on every machine (the wall-clock deadline aside, which only
 * turns a would-be answer into UNKNOWN).  No globals: concurrent calls are safe.
 */
#ifndef FL_RESULTS_LIN_H
#define FL_RESULTS_LIN_H

#include <stddef.h>
#include <stdint.h>

#include "results/history.h"

typedef enum fl_lin_model {
    FL_LIN_REGISTER = 0, /* one integer register, initially null */
    FL_LIN_KV,           /* string keys to string values, initially ""; per key */
    FL_LIN_KV_WHOLE      /* the same, checked as one object (no partitioning) */
} fl_lin_model;

typedef enum fl_lin_verdict {
    FL_LIN_OK = 0,        /* linearizable */
    FL_LIN_VIOLATION = 1, /* not linearizable */
    FL_LIN_UNKNOWN = 2    /* the budget ran out first */
} fl_lin_verdict;

/* Limits; 0 in a field means its default.  max_states and max_bytes are deterministic
 * (use them inside simulated runs); wall_ns reads the monotonic clock and is meant for
 * `faultline check-history` only. */
typedef struct fl_lin_budget {
    uint64_t max_states; /* search states (memoised configurations), all keys together;
                            default FL_LIN_STATES_DEFAULT */
    uint64_t max_bytes;  /* memory of the search, per key; default FL_LIN_BYTES_DEFAULT */
    int64_t wall_ns;     /* wall-clock limit from the call; 0: none */
} fl_lin_budget;

#define FL_LIN_STATES_DEFAULT 100000000ull
#define FL_LIN_BYTES_DEFAULT (1ull << 30)
#define FL_LIN_DETAIL_MAX 2048
#define FL_LIN_REPORT_MAX 64 /* ops listed in `concurrent` */

/* The outcome.  Caller provides the storage; fl_lin_check() initialises it and the
 * caller releases it with fl_lin_result_close(). */
typedef struct fl_lin_result {
    int verdict;        /* fl_lin_verdict */
    uint64_t states;    /* memoised configurations explored */
    size_t partitions;  /* keys (1 for register and kv-whole) */
    size_t checked;     /* partitions decided before the verdict */
    size_t ops_checked; /* operations that entered the search (after leaving out reads
                           that did not complete ok, failed writes...) */
    /* VIOLATION: the key (string id, kv only), the longest linearizable prefix of that
     * partition found (history op indexes, in linearization order), the operation that
     * could not be linearized after it (its completion came first), and the other
     * pending operations that were candidates at that point: together, the ops that
     * cannot be ordered.  All -1 / 0 / NULL otherwise. */
    int64_t key;
    size_t *prefix; /* owned by the result */
    size_t prefix_len;
    int64_t culprit;                      /* history op index */
    int64_t culprit_complete_index;       /* its completion's event index */
    size_t concurrent[FL_LIN_REPORT_MAX]; /* history op indexes */
    size_t concurrent_len;
    char detail[FL_LIN_DETAIL_MAX]; /* printable: why (any verdict), one paragraph */
} fl_lin_result;

/* Check h (borrowed) against model.  b may be NULL for the defaults.  Returns 0 with
 * the verdict in *out, or FL_EINVAL (bad model, a history of the other kind: the
 * reason is in out->detail) or FL_ENOMEM.  Running out of budget or of max_bytes is
 * not an error: it is the verdict UNKNOWN. */
int fl_lin_check(const fl_history *h, int model, const fl_lin_budget *b, fl_lin_result *out);

/* Release what fl_lin_check() put in r; a zeroed r is fine. */
void fl_lin_result_close(fl_lin_result *r);

/* "ok", "violation", "unknown"; "register", "kv", "kv-whole" (-1 when unknown). */
const char *fl_lin_verdict_name(int verdict);
int fl_lin_model_parse(const char *name);

#endif /* FL_RESULTS_LIN_H */

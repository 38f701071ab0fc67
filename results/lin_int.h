/*
 * lin_int.h -- inside the linearizability checker: the operations of one partition as
 * the search sees them (lin_op), the sequential models (lin_model.c) and the search
 * (lin_search.c).  Not installed; only results/lin*.c include it.
 *
 * Model states are uint32 ids.  Register: the id of the value held (0 = null), values
 * numbered when the partition is built, so a step is a comparison.  kv: the id of the
 * key's string in an interning table (0 = ""), so equal strings have equal ids and a
 * get is a comparison too; appends make new strings, cached per (state, suffix).
 * kv-whole: the id of a tuple of per-key string ids, interned the same way.
 */
#ifndef FL_RESULTS_LIN_INT_H
#define FL_RESULTS_LIN_INT_H

#include <stddef.h>
#include <stdint.h>

enum lin_kind {
    LK_READ,      /* legal iff state == a */
    LK_WRITE,     /* state := a */
    LK_CAS,       /* legal iff state == a; state := b */
    LK_CAS_NOT,   /* a failed cas: legal iff state != a */
    LK_CAS_MAYBE, /* a cas of unknown outcome: if state == a, state := b */
    LK_GET,       /* legal iff key slot's string == a */
    LK_PUT,       /* key slot's string := a */
    LK_APPEND     /* key slot's string := itself ++ a */
};

typedef struct lin_op {
    uint32_t hop;             /* index in the history */
    uint8_t kind;             /* lin_kind */
    uint8_t definite;         /* 1: completed ok/fail, must be linearized before its return */
    uint32_t slot;            /* kv-whole: the key's slot; 0 otherwise */
    uint32_t a, b;            /* value / string ids, see lin_kind */
    int64_t invoke, complete; /* event indexes; complete unused when !definite */
} lin_op;

typedef struct lin_model lin_model;

/* A model for one partition: mode 0 register, 1 one kv key, 2 kv-whole with nkeys
 * slots.  max_bytes bounds its tables.  NULL when out of memory. */
lin_model *lin_model_new(int mode, uint32_t nkeys, uint64_t max_bytes);
void lin_model_free(lin_model *m);
/* Intern a string value for kv ops; 0, FL_ELIMIT or FL_ENOMEM. */
int lin_model_intern(lin_model *m, const char *s, size_t len, uint32_t *id);
/* Bytes the model holds now. */
uint64_t lin_model_bytes(const lin_model *m);
/* kv step; 1 legal (next set), 0 illegal, FL_ELIMIT / FL_ENOMEM. */
int lin_model_kv_step(lin_model *m, uint32_t s, const lin_op *op, uint32_t *next);

static inline int lin_model_step(lin_model *m, uint32_t s, const lin_op *op, uint32_t *next)
{
    switch (op->kind) {
    case LK_READ:
        *next = s;
        return s == op->a;
    case LK_WRITE:
        *next = op->a;
        return 1;
    case LK_CAS:
        *next = op->b;
        return s == op->a;
    case LK_CAS_NOT:
        *next = s;
        return s != op->a;
    case LK_CAS_MAYBE:
        *next = s == op->a ? op->b : s;
        return 1;
    default:
        return lin_model_kv_step(m, s, op, next);
    }
}

enum { LIN_WHY_STATES, LIN_WHY_TIME, LIN_WHY_MEMORY };

/* What one partition's search found. */
typedef struct lin_found {
    int verdict;    /* FL_LIN_* */
    int why;        /* UNKNOWN: LIN_WHY_* */
    uint32_t *best; /* VIOLATION: longest prefix found (partition op indexes), malloc'd */
    size_t best_len;
    uint32_t culprit; /* partition op index */
    uint32_t concurrent[64];
    size_t concurrent_len;
} lin_found;

/* Search ops[0..n) (invocation order) from the initial state 0.  *states is the budget
 * left, decremented per memoised configuration; deadline_ns is an absolute
 * CLOCK_MONOTONIC time or 0.  Returns 0 with the verdict in *out, or FL_ENOMEM. */
int lin_search(lin_model *m, const lin_op *ops, size_t n, uint64_t *states, uint64_t max_bytes,
               int64_t deadline_ns, lin_found *out);

/* lin.c: the monotonic wall clock, for check-history's wall_ns budget only. */
int64_t fl_lin_wall_now_ns(void);

#endif /* FL_RESULTS_LIN_INT_H */

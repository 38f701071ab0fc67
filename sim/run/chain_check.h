/*
 * chain_check.h -- replay's sink: compare each step's digest chain with the one
 * recorded for the same step, and remember the first step where they differ.
 */
#ifndef FL_SIM_RUN_CHAIN_CHECK_H
#define FL_SIM_RUN_CHAIN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

typedef struct fl_chain_check {
    const int64_t *chains; /* recorded events.chain by step (borrowed) */
    size_t n;
    int64_t first_bad; /* -1: none yet */
    uint64_t want, got;
} fl_chain_check;

/* A sink comparing against chains[0..n); c must outlive the run. */
void fl_chain_check_sink(fl_chain_check *c, const int64_t *chains, size_t n, fl_sink *k);

#endif /* FL_SIM_RUN_CHAIN_CHECK_H */

/*
 * ddmin.h -- delta debugging (Zeller & Hildebrandt 2002) over a set of elements,
 * as a pure search over a callback: the caller decides what an element is (a fault
 * episode, a workload op) and how a candidate is tested (shrink re-executes it in a
 * worker pool).
 *
 * Each round splits the kept elements into g chunks and lists its candidates in a
 * fixed order: for g = 2 the two halves, for g > 2 every complement (the kept set minus
 * one chunk).  Zeller's ddmin also tries every chunk alone for g > 2; for fault
 * schedules a failure almost never lives in one small chunk, so those candidates cost
 * half of every round and almost never help (measured: a raft-crash shrink took 7,914
 * candidates with them and 2,376 without, to the same result).  The caller's `first`
 * returns the first candidate of the list that still fails, so the search takes the
 * same path whatever the caller's parallelism.  It ends when g has reached the number
 * of kept elements and no complement fails: then removing any single element makes the
 * failure go away -- the result is 1-minimal.
 */
#ifndef FL_RESULTS_DDMIN_H
#define FL_RESULTS_DDMIN_H

#include <stddef.h>
#include <stdint.h>

/* Test cands[0..n) in order (each a mask of nelems bytes, 1 = element kept; borrowed
 * for the call).  Return 0 with *first the index of the first candidate that still
 * fails, or -1 when none does; or a nonzero code to stop the search (budget spent,
 * interrupted, error), which fl_ddmin returns. */
typedef int (*fl_ddmin_first_fn)(void *ctx, const uint8_t *const *cands, size_t n, long *first);

/* Shrink keep (nelems bytes, 1 = element in the failing set; in and out) with
 * ddmin.  Returns 0 when the search ended (*minimal = 1: keep is 1-minimal), or the
 * code `first` stopped it with (*minimal = 0; keep is the smallest failing set found
 * so far), or FL_ENOMEM. */
int fl_ddmin(uint8_t *keep, size_t nelems, fl_ddmin_first_fn first, void *ctx, int *minimal);

#endif /* FL_RESULTS_DDMIN_H */

/*
 * show_states.h -- node states of a recorded run, as `show` reads them: the state
 * changes of a range of steps in order, and every node's state in force at a step.
 * Everything `show` knows about how states are stored is behind these functions.
 */
#ifndef FL_SIM_SHOW_STATES_H
#define FL_SIM_SHOW_STATES_H

#include <stddef.h>
#include <stdint.h>

#include "storage/db.h"

typedef struct fl_show_state {
    int64_t step; /* the step at which the node's state became this */
    int node;
    const char *json; /* the protocol's snapshot; valid until the next call */
} fl_show_state;

typedef struct fl_show_states fl_show_states;

/* The state changes of steps from..to (inclusive), by step then node. */
int fl_show_states_open(fl_db *db, int64_t run, int64_t from, int64_t to, fl_show_states **out,
                        char *err, size_t cap);
/* 1 with *st filled, 0 at the end, < 0 an FL_E code. */
int fl_show_states_next(fl_show_states *s, fl_show_state *st, char *err, size_t cap);
void fl_show_states_close(fl_show_states *s); /* NULL ok */

/* fn for every node that has a state at step, by node; a nonzero return from fn stops
 * and is returned. */
int fl_show_states_at(fl_db *db, int64_t run, int64_t step,
                      int (*fn)(void *ctx, const fl_show_state *st), void *ctx, char *err,
                      size_t cap);

#endif /* FL_SIM_SHOW_STATES_H */

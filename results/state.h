/*
 * state.h -- the state of any node at any step of a recorded run: the one reader that
 * `show`, the exports and the web UI use.
 *
 * `snapshots` stores changes (core/statediff.h, docs/sql.md): each row keeps the scalar
 * members whole and edits of the arrays and objects, from a keyframe on.  The reader
 * rebuilds the whole JSON text the protocol's snapshot printed, byte for byte.  Files
 * of schema 1 and 2 hold whole states (every row is a keyframe without parts), and read
 * the same way.
 *
 * Reading forward is incremental: a node's rebuilt state is kept, and the next request
 * for a later step applies only the rows in between; a request for an earlier step
 * starts again from the keyframe in force.  One reader per run; it borrows the fl_db,
 * which must outlive it.
 */
#ifndef FL_RESULTS_STATE_H
#define FL_RESULTS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/db.h"

typedef struct fl_state_reader fl_state_reader;

/* A reader of run run_id's states.  Free with fl_state_reader_close (NULL ok). */
int fl_state_reader_open(fl_db *db, int64_t run_id, fl_state_reader **out, char *err, size_t cap);
void fl_state_reader_close(fl_state_reader *r);

/* The nodes with at least one state row, ascending, into *nodes (the reader's memory,
 * valid until close); returns their count or a negative FL_E code. */
int fl_state_nodes(fl_state_reader *r, const int **nodes, char *err, size_t cap);

/* The state of node after step: its last change at or before step.  Returns 1 with
 * *json the whole JSON text ("null" while the node was down; the reader's memory, valid
 * until the next call) and *since the step of that change; 0 when the node has no state
 * row at or before step; a negative FL_E code on error (FL_EPARSE: a row that does not
 * apply, with the step and node in err). */
int fl_state_at(fl_state_reader *r, int node, int64_t step, const char **json, int64_t *since,
                char *err, size_t cap);

/* Every change of the run up to step last, in (step, node) order: returns 1 with the
 * change's step, node and the node's whole state after it (valid until the next call),
 * 0 after the last, or a negative FL_E code. */
int fl_state_next(fl_state_reader *r, int64_t last, int64_t *step, int *node, const char **json,
                  char *err, size_t cap);

#endif /* FL_RESULTS_STATE_H */

/*
 * show_states.c -- where `show` reads node states from (show_states.h): the state
 * reader of results/state.h, which rebuilds whole states from the snapshots table's
 * changes (docs/sql.md).  The only place `show` touches that table.
 */
#include "sim/show_states.h"

#include <stdlib.h>

#include "core/error.h"
#include "results/state.h"

struct fl_show_states {
    fl_state_reader *r;
    int64_t from, to;
};

int fl_show_states_open(fl_db *db, int64_t run, int64_t from, int64_t to, fl_show_states **out,
                        char *err, size_t cap)
{
    fl_show_states *s = calloc(1, sizeof *s);
    if (!s)
        return FL_ENOMEM;
    int rc = fl_state_reader_open(db, run, &s->r, err, cap);
    if (rc) {
        free(s);
        return rc;
    }
    s->from = from;
    s->to = to;
    *out = s;
    return 0;
}

int fl_show_states_next(fl_show_states *s, fl_show_state *st, char *err, size_t cap)
{
    int rc;
    /* the changes before the range are applied too: they build the states it changes */
    do
        rc = fl_state_next(s->r, s->to, &st->step, &st->node, &st->json, err, cap);
    while (rc == 1 && st->step < s->from);
    return rc;
}

void fl_show_states_close(fl_show_states *s)
{
    if (!s)
        return;
    fl_state_reader_close(s->r);
    free(s);
}

int fl_show_states_at(fl_db *db, int64_t run, int64_t step,
                      int (*fn)(void *ctx, const fl_show_state *st), void *ctx, char *err,
                      size_t cap)
{
    fl_state_reader *r;
    const int *nodes;
    int rc = fl_state_reader_open(db, run, &r, err, cap);
    int n = rc == 0 ? fl_state_nodes(r, &nodes, err, cap) : rc;
    for (int i = 0; i < n; i++) {
        fl_show_state st = {.node = nodes[i]};
        rc = fl_state_at(r, nodes[i], step, &st.json, &st.step, err, cap);
        if (rc < 0)
            break;
        if (rc == 1 && (rc = fn(ctx, &st)) != 0)
            break; /* rc == 0: no state of this node yet */
        rc = 0;
    }
    fl_state_reader_close(r);
    return n < 0 ? n : rc;
}

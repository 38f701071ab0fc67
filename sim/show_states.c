/*
 * show_states.c -- where `show` reads node states from (show_states.h): the snapshots
 * table, one row per node whose state changed at a step.  The only place `show` touches
 * that table, so that a different way of storing states changes this file alone.
 */
#include "sim/show_states.h"

#include <stdlib.h>

#include "core/error.h"

struct fl_show_states {
    fl_db_cursor *c;
};

int fl_show_states_open(fl_db *db, int64_t run, int64_t from, int64_t to, fl_show_states **out,
                        char *err, size_t cap)
{
    fl_show_states *s = calloc(1, sizeof *s);
    if (!s)
        return FL_ENOMEM;
    int rc = fl_db_cursor_open(db,
                               "SELECT step, node, state FROM snapshots WHERE run_id = ?1 AND "
                               "step BETWEEN ?2 AND ?3 ORDER BY step, node",
                               &s->c, err, cap);
    if (rc) {
        free(s);
        return rc;
    }
    fl_db_cursor_bind_int(s->c, 1, run);
    fl_db_cursor_bind_int(s->c, 2, from);
    fl_db_cursor_bind_int(s->c, 3, to);
    *out = s;
    return 0;
}

int fl_show_states_next(fl_show_states *s, fl_show_state *st, char *err, size_t cap)
{
    int rc = fl_db_cursor_next(s->c, err, cap);
    if (rc == 1) {
        st->step = fl_db_cursor_int(s->c, 0);
        st->node = (int)fl_db_cursor_int(s->c, 1);
        st->json = fl_db_cursor_text(s->c, 2);
    }
    return rc;
}

void fl_show_states_close(fl_show_states *s)
{
    if (!s)
        return;
    fl_db_cursor_close(s->c);
    free(s);
}

int fl_show_states_at(fl_db *db, int64_t run, int64_t step,
                      int (*fn)(void *ctx, const fl_show_state *st), void *ctx, char *err,
                      size_t cap)
{
    fl_db_cursor *c;
    /* the state in force at a step is the node's last snapshot at or before it */
    int rc =
        fl_db_cursor_open(db,
                          "SELECT s.node, s.step, s.state FROM snapshots s "
                          "WHERE s.run_id = ?1 AND s.step = (SELECT max(step) FROM snapshots x "
                          "WHERE x.run_id = ?1 AND x.node = s.node AND x.step <= ?2) "
                          "ORDER BY s.node",
                          &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, run);
    fl_db_cursor_bind_int(c, 2, step);
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        fl_show_state st = {.node = (int)fl_db_cursor_int(c, 0),
                            .step = fl_db_cursor_int(c, 1),
                            .json = fl_db_cursor_text(c, 2)};
        if ((rc = fn(ctx, &st)) != 0)
            break;
    }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

/*
 * merge_impl.h -- what merge.c (phase 2: writing OUT) and merge_stage.c (phase 1:
 * staging the inputs) share.  storage/ internal.
 */
#ifndef FL_STORAGE_MERGE_IMPL_H
#define FL_STORAGE_MERGE_IMPL_H

#include <sqlite3.h>

#include "storage/merge.h"

/* The tables keyed by run_id: a run's rows, copied with it. */
static const char *const child_tables[] __attribute__((unused)) = {
    "events", "faults", "logs", "messages", "metrics", "snapshots", "history"};
#define NCHILD (sizeof child_tables / sizeof child_tables[0])
/* Every table, in staging order (parents first). */
static const char *const staged_tables[]
    __attribute__((unused)) = {"scenarios", "sweeps", "runs", "events", "faults", "logs",
                               "messages", "metrics", "snapshots", "history",
                               /* -- shrink (schema 4): rows that link two runs */
                               "shrinks"};
#define NSTAGED (sizeof staged_tables / sizeof staged_tables[0])
/* Temp tables merge creates besides m_<table>; dropped before and after. */
static const char *const work_tables[]
    __attribute__((unused)) = {"scen_map", "run_key", "sweep_map", "run_map"};

typedef struct merge {
    fl_db *out;
    sqlite3 *h;
    const char *const *in;
    size_t nin;
    int flags;
    fl_db_merge_stats *st;
    char *err;
    size_t cap;
} merge;

/* The first error into m->err. */
void fl_merge_set_err(merge *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run SQL on OUT's connection; errors name `what`.  _owned frees sql. */
int fl_merge_run(merge *m, const char *sql, const char *what);
int fl_merge_run_owned(merge *m, char *sql, const char *what);
int fl_merge_prepare(merge *m, const char *sql, sqlite3_stmt **st, const char *what);
/* "INSERT INTO dst(c, ...) SELECT e, ... tail" over the columns of main.table, in
 * schema order.  e is t.c unless map (column, expression pairs, NULL-terminated) gives
 * an expression; a NULL expression leaves the column out.  lead adds one more column
 * first (name, expression) when not NULL.  Returns a sqlite3_malloc'd string or NULL. */
char *fl_merge_copy_sql(sqlite3 *h, const char *table, const char *dst, const char *const *lead,
                        const char *const *map, const char *tail);

/* merge_stage.c */
int fl_merge_check_input(merge *m, const char *path);
int fl_merge_stage_input(merge *m, int i);

#endif /* FL_STORAGE_MERGE_IMPL_H */

/*
 * merge_stage.c -- phase 1 of a merge (see merge.c): each input's rows copied into
 * TEMP tables, an input of an older schema migrated on the way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "storage/merge_impl.h"

void fl_merge_set_err(merge *m, const char *fmt, ...)
{
    if (m->err == NULL || m->cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->cap, fmt, ap);
    va_end(ap);
}

/* Run sql (NULL: it could not be built, out of memory); the FL_E code on failure. */
int fl_merge_run(merge *m, const char *sql, const char *what)
{
    if (sql == NULL) {
        fl_merge_set_err(m, "%s: out of memory", what);
        return FL_ENOMEM;
    }
    int rc = sqlite3_exec(m->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fl_db_error(m->out, rc, what, m->err, m->cap);
}

/* run() on a sqlite3_mprintf'd string, freed here. */
int fl_merge_run_owned(merge *m, char *sql, const char *what)
{
    int rc = fl_merge_run(m, sql, what);
    sqlite3_free(sql);
    return rc;
}

int fl_merge_prepare(merge *m, const char *sql, sqlite3_stmt **st, const char *what)
{
    int rc = sqlite3_prepare_v2(m->h, sql, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : fl_db_error(m->out, rc, what, m->err, m->cap);
}

/* "INSERT INTO dst(c, ...) SELECT e, ... tail" over the columns of main.table, in
 * schema order.  e is t.c unless map (column, expression pairs, NULL-terminated) gives
 * an expression; a NULL expression leaves the column out.  lead adds one more column
 * first (name, expression) when not NULL.  Returns a sqlite3_malloc'd string or NULL. */
char *fl_merge_copy_sql(sqlite3 *h, const char *table, const char *dst, const char *const *lead,
                        const char *const *map, const char *tail)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid", -1,
                           &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_str *cols = sqlite3_str_new(h), *exprs = sqlite3_str_new(h);
    int n = 0;
    if (lead != NULL) {
        sqlite3_str_appendf(cols, "\"%w\"", lead[0]);
        sqlite3_str_appendf(exprs, "%s", lead[1]);
        n++;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0), *e = NULL;
        int mapped = 0;
        for (size_t i = 0; map != NULL && map[i] != NULL; i += 2)
            if (strcmp(map[i], c) == 0) {
                mapped = 1;
                e = map[i + 1];
            }
        if (mapped && e == NULL)
            continue;
        sqlite3_str_appendf(cols, "%s\"%w\"", n ? ", " : "", c);
        if (mapped)
            sqlite3_str_appendf(exprs, "%s%s", n ? ", " : "", e);
        else
            sqlite3_str_appendf(exprs, "%st.\"%w\"", n ? ", " : "", c);
        n++;
    }
    sqlite3_finalize(st);
    char *c = sqlite3_str_finish(cols), *e = sqlite3_str_finish(exprs);
    char *sql = c && e && n > (lead != NULL)
                    ? sqlite3_mprintf("INSERT INTO %s(%s) SELECT %s %s", dst, c, e, tail)
                    : NULL;
    sqlite3_free(c);
    sqlite3_free(e);
    return sql;
}

/* An input must exist, be a sound faultline database of our schema version, and not be
 * OUT. */
int fl_merge_check_input(merge *m, const char *path)
{
    struct stat a, b;
    fl_db *db = NULL;
    int rc = fl_db_open(&db, path, FL_DB_READONLY, m->err, m->cap);
    if (rc == 0) /* a damaged page would be merged as fewer rows, silently */
        rc = fl_db_verify(db, m->err, m->cap);
    fl_db_close(db);
    if (rc)
        return rc;
    if (stat(path, &a) == 0 && stat(fl_db_path(m->out), &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        fl_merge_set_err(m, "%s: is the output database", path);
        return FL_EINVAL;
    }
    return 0;
}

/* What a column that an input of an older schema lacks becomes while it is staged:
 * the same value the migration to OUT's schema gives it (storage/schema.c). */
static const char *migrated_value(const char *table, const char *col)
{
    if (strcmp(table, "runs") == 0 && strcmp(col, "origin") == 0)
        return "CASE WHEN t.sweep_id IS NULL THEN 'run' ELSE 'sweep' END";
    if (strcmp(col, "digest_epoch") == 0)
        return "1"; /* runs and sweeps: every row before schema 3 was epoch 1 */
    if (strcmp(table, "snapshots") == 0 && strcmp(col, "keyframe") == 0)
        return "1"; /* a v2 state row is a whole state */
    /* runs.parent_run, runs.recorded_at, scenarios.plugin_path, parts, messages.nth/copy */
    return "NULL";
}

#define MAX_MISSING 8

/* 1 when the attached input has table (history is new in schema 3: a v2 input has no
 * rows for it, and that is all). */
static int input_has_table(merge *m, const char *table)
{
    sqlite3_stmt *st;
    int has = 0;
    if (sqlite3_prepare_v2(m->h,
                           "SELECT 1 FROM fl_merge_in.sqlite_master WHERE type = 'table' AND "
                           "name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return 1; /* let the copy report it */
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    has = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return has;
}

/* map gets (column, value) pairs for the columns of OUT's table that the attached input
 * lacks (an input of an older schema), NULL-terminated. */
static int missing_columns(merge *m, const char *table, const char *map[2 * MAX_MISSING + 1],
                           char names[MAX_MISSING][64])
{
    sqlite3_stmt *st;
    int n = 0;
    int rc = fl_merge_prepare(m,
                              "SELECT name FROM pragma_table_info(?1, 'main') WHERE name NOT IN"
                              " (SELECT name FROM pragma_table_info(?1, 'fl_merge_in'))",
                              &st, "merge: columns");
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && n < MAX_MISSING) {
        snprintf(names[n], sizeof names[n], "%s", (const char *)sqlite3_column_text(st, 0));
        map[2 * n] = names[n];
        map[2 * n + 1] = migrated_value(table, names[n]);
        n++;
    }
    sqlite3_finalize(st);
    map[2 * n] = NULL;
    return 0;
}

/* Phase 1 for input i (1-based): its rows into the m_ tables, in one read transaction;
 * an input of an older schema is migrated on the way (missing_columns). */
int fl_merge_stage_input(merge *m, int i)
{
    const char *path = m->in[i - 1];
    sqlite3_stmt *st;
    int rc = fl_merge_prepare(m, "ATTACH ?1 AS fl_merge_in", &st, path);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return fl_db_error_file(m->out, src, path, "merge", m->err, m->cap);
    char num[24];
    snprintf(num, sizeof num, "%d", i);
    const char *const lead[] = {"fl_in", num};
    rc = fl_merge_run(m, "BEGIN", path);
    for (size_t t = 0; rc == 0 && t < NSTAGED; t++) {
        const char *map[2 * MAX_MISSING + 1];
        char names[MAX_MISSING][64];
        if (!input_has_table(m, staged_tables[t]))
            continue;
        rc = missing_columns(m, staged_tables[t], map, names);
        if (rc)
            break;
        char *tail = sqlite3_mprintf("FROM fl_merge_in.\"%w\" t", staged_tables[t]);
        char *dst = sqlite3_mprintf("temp.\"m_%w\"", staged_tables[t]);
        char *sql =
            tail && dst ? fl_merge_copy_sql(m->h, staged_tables[t], dst, lead, map, tail) : NULL;
        rc = fl_merge_run(m, sql, path);
        sqlite3_free(sql);
        sqlite3_free(dst);
        sqlite3_free(tail);
    }
    if (rc == 0)
        rc = fl_merge_run(m, "COMMIT", path);
    else
        sqlite3_exec(m->h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(m->h, "DETACH fl_merge_in", NULL, NULL, NULL);
    return rc;
}

/*
 * prune.c -- dropping full recordings (see prune.h).
 *
 * The runs to prune go into a temp table first, so that the counting, the deletes and
 * the update all see one set, chosen once.  The per-step tables are listed here: a
 * table that holds a recording's rows must be added, or pruning would leave its rows.
 */
#include "storage/prune.h"

#include <stdio.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/error.h"

/* The tables that hold a full recording, one row per step, message, change or line. */
/* A full recording's tables (a bare row keeps runs, faults, metrics); history is absent
 * from files of schema 2 and older. */
static const char *const recording_tables[] = {"events", "messages", "snapshots", "logs",
                                               "history"};
#define NRECORDING (sizeof recording_tables / sizeof recording_tables[0])

static int exec(fl_db *db, const char *sql, const char *what, char *err, size_t cap)
{
    int rc = sqlite3_exec(fl_db_sqlite(db), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, what, err, cap);
}

static int64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* "SELECT r.id FROM ... WHERE ...": the runs o selects (sqlite3_malloc'd, or NULL). */
static char *selection(fl_db *db, const fl_prune_opts *o)
{
    int has_at = fl_db_opened_version(db) == 0 || fl_db_opened_version(db) >= 3;
    sqlite3_str *s = sqlite3_str_new(fl_db_sqlite(db));
    sqlite3_str_appendall(s, "SELECT r.id FROM runs r LEFT JOIN sweeps w ON w.id = r.sweep_id"
                             " WHERE r.recorded = 'all'");
    if (o->keep_failing)
        sqlite3_str_appendall(s, " AND r.outcome = 'ok'");
    if (o->sweep_id > 0)
        sqlite3_str_appendf(s, " AND r.sweep_id = %lld", (long long)o->sweep_id);
    if (o->older_than_s > 0) /* both are ISO 8601 UTC text, which sorts as time does */
        sqlite3_str_appendf(s,
                            " AND %s <= strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now',"
                            " '-%lld seconds')",
                            has_at ? "coalesce(r.recorded_at, w.started_at)" : "w.started_at",
                            (long long)o->older_than_s);
    return sqlite3_str_finish(s);
}

/* One integer from sql, whose %s is the selection. */
static int count(fl_db *db, const char *fmt, const char *sel, int64_t *out, char *err, size_t cap)
{
    char *sql = sqlite3_mprintf(fmt, sel);
    sqlite3_stmt *st = NULL;
    int rc = sql ? sqlite3_prepare_v2(fl_db_sqlite(db), sql, -1, &st, NULL) : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return rc == SQLITE_ROW ? 0 : fl_db_error(db, rc, "prune", err, cap);
}

/* The values' bytes of table's rows of the selected runs: length() of every column. */
static int payload(fl_db *db, const char *table, const char *sel, int64_t *rows, int64_t *bytes,
                   char *err, size_t cap)
{
    sqlite3_str *e = sqlite3_str_new(fl_db_sqlite(db));
    sqlite3_stmt *st = NULL;
    char *q = sqlite3_mprintf("SELECT name FROM pragma_table_info('%q')", table);
    int rc = q ? sqlite3_prepare_v2(fl_db_sqlite(db), q, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(q);
    sqlite3_str_appendall(e, "SELECT sum(0");
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        sqlite3_str_appendf(e, " + coalesce(length(CAST(\"%w\" AS BLOB)), 0)",
                            (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_str_appendf(e, ") FROM \"%w\" WHERE run_id IN (%%s)", table);
    char *fmt = sqlite3_str_finish(e);
    if (rc != SQLITE_OK || !fmt) {
        sqlite3_free(fmt);
        return fl_db_error(db, rc == SQLITE_OK ? SQLITE_NOMEM : rc, "prune", err, cap);
    }
    rc = count(db, fmt, sel, bytes, err, cap);
    sqlite3_free(fmt);
    if (rc == 0) {
        char *f = sqlite3_mprintf("SELECT count(*) FROM \"%w\" WHERE run_id IN (%%s)", table);
        rc = f ? count(db, f, sel, rows, err, cap) : FL_ENOMEM;
        sqlite3_free(f);
    }
    return rc;
}

static int has_table(fl_db *db, const char *name)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(fl_db_sqlite(db),
                           "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

/* Count what o selects into st. */
static int measure(fl_db *db, const char *sel, fl_prune_stats *st, char *err, size_t cap)
{
    int64_t runs;
    int rc = count(db, "SELECT count(*) FROM (%s)", sel, &runs, err, cap);
    st->runs = (uint64_t)runs;
    for (size_t i = 0; rc == 0 && i < NRECORDING; i++) {
        int64_t rows = 0, bytes = 0;
        if (!has_table(db, recording_tables[i]))
            continue;
        rc = payload(db, recording_tables[i], sel, &rows, &bytes, err, cap);
        st->rows += (uint64_t)rows;
        st->payload_bytes += (uint64_t)bytes;
    }
    return rc;
}

/* Delete the recordings and mark the runs bare, in one transaction. */
static int drop(fl_db *db, const char *sel, char *err, size_t cap)
{
    int rc = exec(db, "BEGIN IMMEDIATE", "prune: begin", err, cap);
    for (size_t i = 0; rc == 0 && i <= NRECORDING; i++) {
        if (i < NRECORDING && !has_table(db, recording_tables[i]))
            continue;
        char *sql =
            i < NRECORDING
                ? sqlite3_mprintf("DELETE FROM \"%w\" WHERE run_id IN (%s)", recording_tables[i],
                                  sel)
                : sqlite3_mprintf("UPDATE runs SET recorded = 'none' WHERE id IN (%s)", sel);
        rc = sql ? exec(db, sql, i < NRECORDING ? recording_tables[i] : "runs", err, cap)
                 : FL_ENOMEM;
        sqlite3_free(sql);
    }
    if (rc == 0)
        rc = exec(db, "COMMIT", "prune: commit", err, cap);
    if (rc)
        sqlite3_exec(fl_db_sqlite(db), "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int fl_db_prune(fl_db *db, const fl_prune_opts *o, fl_prune_stats *st, char *err, size_t cap)
{
    *st = (fl_prune_stats){0};
    char *sel = selection(db, o);
    if (!sel) {
        snprintf(err, cap, "prune: out of memory");
        return FL_ENOMEM;
    }
    int rc = measure(db, sel, st, err, cap);
    if (rc == 0 && !o->dry_run) {
        st->file_before = file_size(fl_db_path(db));
        if (st->runs > 0)
            rc = drop(db, sel, err, cap);
        /* the freed pages back to the disk; the WAL is folded in first so the size
         * printed is the file's */
        if (rc == 0 && st->runs > 0)
            rc = exec(db, "VACUUM", "prune: vacuum", err, cap);
        if (rc == 0)
            rc = exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", "prune: checkpoint", err, cap);
        st->file_after = file_size(fl_db_path(db));
    }
    sqlite3_free(sel);
    return rc;
}

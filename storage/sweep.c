/*
 * sweep.c -- the `sweeps` table: finding a sweep to resume, its status, the seeds it
 * already ran (see db.h).
 *
 * A sweep is identified by (scenario, seed range, shard): the same command run again
 * resumes it whatever -j says.  Timestamps come from SQLite's clock; they are for
 * reporting only and never reach a run.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "storage/db.h"

static int sweep_find(sqlite3 *h, int64_t scenario_id, uint64_t from, uint64_t to,
                      const char *shard, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h,
                                "SELECT id FROM sweeps WHERE scenario_id = ? AND seeds_from = ?"
                                " AND seeds_to = ? AND shard IS ? ORDER BY id DESC LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, scenario_id);
    sqlite3_bind_int64(st, 2, (int64_t)from);
    sqlite3_bind_int64(st, 3, (int64_t)to);
    if (shard != NULL)
        sqlite3_bind_text(st, 4, shard, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int sweep_insert(sqlite3 *h, int64_t scenario_id, uint64_t from, uint64_t to,
                        const char *shard, int jobs, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        h,
        "INSERT INTO sweeps(scenario_id, seeds_from, seeds_to, shard, jobs, started_at, status)"
        " VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'running')",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, scenario_id);
    sqlite3_bind_int64(st, 2, (int64_t)from);
    sqlite3_bind_int64(st, 3, (int64_t)to);
    if (shard != NULL)
        sqlite3_bind_text(st, 4, shard, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, jobs);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc;
    *id = sqlite3_last_insert_rowid(h);
    return SQLITE_OK;
}

static int update_status(sqlite3 *h, int64_t sweep_id, const char *status, int jobs)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h,
                                "UPDATE sweeps SET status = ?1, jobs = coalesce(?3, jobs),"
                                " finished_at = CASE WHEN ?1 = 'running' THEN NULL"
                                " ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END WHERE id = ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, sweep_id);
    if (jobs > 0)
        sqlite3_bind_int(st, 3, jobs);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(h) == 0)
        return SQLITE_NOTFOUND;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int fl_db_sweep_open(fl_db *db, int64_t scenario_id, uint64_t seeds_from, uint64_t seeds_to,
                     const char *shard, int jobs, int64_t *sweep_id, int *resumed, char *err,
                     size_t cap)
{
    sqlite3 *h = fl_db_sqlite(db);
    int64_t id = 0;
    /* Find-or-create under the write lock: two shards' processes never race here,
     * but two invocations of the same command might. */
    int rc = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sweep_find(h, scenario_id, seeds_from, seeds_to, shard, &id);
    *resumed = id != 0;
    if (rc == SQLITE_OK && id != 0)
        rc = update_status(h, id, "running", jobs);
    else if (rc == SQLITE_OK)
        rc = sweep_insert(h, scenario_id, seeds_from, seeds_to, shard, jobs, &id);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int code = fl_db_error(db, rc, "sweep", err, cap);
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
        return code;
    }
    *sweep_id = id;
    return 0;
}

int fl_db_sweep_status(fl_db *db, int64_t sweep_id, const char *status, char *err, size_t cap)
{
    if (status == NULL || (strcmp(status, "running") != 0 && strcmp(status, "interrupted") != 0 &&
                           strcmp(status, "done") != 0)) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "sweep: bad status \"%s\"", status != NULL ? status : "(null)");
        return FL_EINVAL;
    }
    int rc = update_status(fl_db_sqlite(db), sweep_id, status, 0);
    if (rc == SQLITE_NOTFOUND) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "sweep: no sweep %lld", (long long)sweep_id);
        return FL_ENOTFOUND;
    }
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, "sweep", err, cap);
}

int fl_db_sweep_seeds_done(fl_db *db, int64_t scenario_id, void (*fn)(void *ctx, uint64_t seed),
                           void *ctx, char *err, size_t cap)
{
    sqlite3 *h = fl_db_sqlite(db);
    sqlite3_stmt *st;
    /* every sweep's own runs of the scenario, whatever range or shard they came in */
    int rc = sqlite3_prepare_v2(h,
                                "SELECT DISTINCT seed FROM runs WHERE scenario_id = ?"
                                " AND origin = 'sweep' ORDER BY seed",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, "sweep", err, cap);
    sqlite3_bind_int64(st, 1, scenario_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, (uint64_t)sqlite3_column_int64(st, 0));
    int code = rc == SQLITE_DONE ? 0 : fl_db_error(db, rc, "sweep", err, cap);
    sqlite3_finalize(st);
    return code;
}

int fl_db_sweep_pending(fl_db *db, int64_t scenario_id,
                        void (*fn)(void *ctx, uint64_t seed, int64_t run_id, const char *digest),
                        void *ctx, char *err, size_t cap)
{
    sqlite3 *h = fl_db_sqlite(db);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h,
                                "SELECT seed, id, digest FROM runs WHERE scenario_id = ?"
                                " AND origin = 'sweep' AND recorded = 'pending' ORDER BY seed, id",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, "sweep", err, cap);
    sqlite3_bind_int64(st, 1, scenario_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
           (const char *)sqlite3_column_text(st, 2));
    int code = rc == SQLITE_DONE ? 0 : fl_db_error(db, rc, "sweep", err, cap);
    sqlite3_finalize(st);
    return code;
}

int fl_db_run_set_recorded(fl_db *db, int64_t run_id, const char *recorded, char *err, size_t cap)
{
    sqlite3 *h = fl_db_sqlite(db);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h, "UPDATE runs SET recorded = ? WHERE id = ?", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, recorded, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, run_id);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, "runs", err, cap);
}

/* ---- batches: one transaction over many runs' rows ---- */

static int exec_sql(fl_db *db, const char *sql, const char *what, char *err, size_t cap)
{
    int rc = sqlite3_exec(fl_db_sqlite(db), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, what, err, cap);
}

int fl_db_batch_begin(fl_db *db, char *err, size_t cap)
{
    return exec_sql(db, "BEGIN IMMEDIATE", "batch: begin", err, cap);
}

int fl_db_batch_commit(fl_db *db, char *err, size_t cap)
{
    return exec_sql(db, "COMMIT", "batch: commit", err, cap);
}

void fl_db_batch_rollback(fl_db *db)
{
    if (!sqlite3_get_autocommit(fl_db_sqlite(db)))
        sqlite3_exec(fl_db_sqlite(db), "ROLLBACK", NULL, NULL, NULL);
}

int fl_db_in_batch(fl_db *db)
{
    return !sqlite3_get_autocommit(fl_db_sqlite(db));
}

/* Every table with a run_id column is a run's: found in the schema rather than listed, so
 * that a table a later schema adds is dropped with its run too. */
int fl_db_run_drop_rows(fl_db *db, int64_t run_id, int keep_bare, char *err, size_t cap)
{
    sqlite3 *h = fl_db_sqlite(db);
    sqlite3_stmt *tables;
    int rc = sqlite3_prepare_v2(h,
                                "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) p"
                                " WHERE m.type = 'table' AND p.name = 'run_id' ORDER BY m.name",
                                -1, &tables, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(tables)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tables, 0);
        rc = SQLITE_OK;
        if (keep_bare && (strcmp(name, "faults") == 0 || strcmp(name, "metrics") == 0))
            continue; /* a bare row has these: they stay with it */
        char sql[160];
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE run_id = ?", name);
        sqlite3_stmt *del;
        rc = sqlite3_prepare_v2(h, sql, -1, &del, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(del, 1, run_id);
            rc = sqlite3_step(del);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        sqlite3_finalize(del);
    }
    sqlite3_finalize(tables);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, "runs: drop rows", err, cap);
}

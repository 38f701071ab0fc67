/*
 * recorder_rows.c -- the rows a run gets at its end (see recorder.h): its runs row, which
 * replaces a pending row under the same id, then its faults and metrics, kept in memory
 * while the run streamed.
 */
#include <string.h>

#include <sqlite3.h>

#include "core/digest.h"
#include "core/error.h"
#include "storage/recorder_impl.h"

/* The end-of-run inserts, prepared once per connection (fl_db_cached_stmt): a sweep
 * writes a few of these rows per seed, and preparing them each time cost more than
 * stepping them. */
static const char insert_run_sql[] =
    "INSERT INTO runs(id, sweep_id, scenario_id, seed, schedule_json, outcome, check_name,"
    " detail, fail_step, fail_time_ns, steps, sim_time_ns, msgs_sent, msgs_delivered,"
    " msgs_dropped, faults, wall_us, digest, recorded, version, origin, parent_run,"
    " digest_epoch, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
static const char insert_fault_sql[] =
    "INSERT INTO faults(run_id, seq, at_ns, kind, spec, reached, took_effect)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char insert_metric_sql[] = "INSERT INTO metrics(run_id, name, value) VALUES (?, ?, ?)";

static void bind_run(sqlite3_stmt *st, const fl_recorder *r)
{
    const fl_run_result *res = &r->res;
    if (r->level == FL_RECORD_ALL)
        sqlite3_bind_int64(st, 1, r->run_id);
    else
        sqlite3_bind_null(st, 1); /* SQLite picks max(id) + 1 */
    fl_rec_bind_opt_int(st, 2, r->meta.sweep_id, 0);
    sqlite3_bind_int64(st, 3, r->meta.scenario_id);
    sqlite3_bind_int64(st, 4, (int64_t)r->seed);
    if (r->schedule_json != NULL)
        sqlite3_bind_text(st, 5, r->schedule_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, fl_outcome_name(res->outcome), -1, SQLITE_STATIC);
    fl_rec_bind_opt_text(st, 7, res->check);
    fl_rec_bind_opt_text(st, 8, res->detail);
    fl_rec_bind_opt_int(st, 9, res->fail_step, -1);
    fl_rec_bind_opt_int(st, 10, res->fail_time_ns, -1);
    sqlite3_bind_int64(st, 11, (int64_t)res->steps);
    sqlite3_bind_int64(st, 12, res->sim_time_ns);
    sqlite3_bind_int64(st, 13, (int64_t)res->msgs_sent);
    sqlite3_bind_int64(st, 14, (int64_t)res->msgs_delivered);
    sqlite3_bind_int64(st, 15, (int64_t)res->msgs_dropped);
    sqlite3_bind_int64(st, 16, (int64_t)res->faults);
    sqlite3_bind_int64(st, 17, res->wall_us);
    sqlite3_bind_text(st, 18, res->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 19,
                      r->level == FL_RECORD_ALL ? "all"
                      : r->meta.pending         ? "pending"
                                                : "none",
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 20, FL_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 21, fl_origin_name(r->meta.origin), -1, SQLITE_STATIC);
    fl_rec_bind_opt_int(st, 22, r->meta.parent_run, 0);
    sqlite3_bind_int(st, 23, FL_DIGEST_EPOCH);
}

/* The pending row a full recording replaces: its runs, faults and metrics rows (its
 * other rows, left by an attempt that did not finish, went at begin). */
static int drop_replaced(fl_recorder *r)
{
    static const char *const sql[] = {"DELETE FROM metrics WHERE run_id = ?",
                                      "DELETE FROM faults WHERE run_id = ?",
                                      "DELETE FROM runs WHERE id = ? AND recorded = 'pending'"};
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(r->h, sql[i], -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, r->meta.replaces);
            rc = sqlite3_step(st);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        sqlite3_finalize(st);
    }
    return rc;
}

int fl_rec_insert_run(fl_recorder *r)
{
    sqlite3_stmt *st;
    int rc = r->meta.replaces > 0 && r->level == FL_RECORD_ALL ? drop_replaced(r) : SQLITE_OK;
    if (rc != SQLITE_OK)
        return rc;
    rc = fl_db_cached_stmt(r->db, insert_run_sql, &st);
    if (rc == SQLITE_OK) {
        bind_run(st, r);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
    }
    if (rc == SQLITE_OK)
        r->run_id = sqlite3_last_insert_rowid(r->h);
    return rc;
}

int fl_rec_insert_faults(fl_recorder *r)
{
    sqlite3_stmt *st;
    if (r->nfaults == 0)
        return SQLITE_OK;
    int rc = fl_db_cached_stmt(r->db, insert_fault_sql, &st);
    for (size_t i = 0; rc == SQLITE_OK && i < r->nfaults; i++) {
        const rec_fault *f = &r->faults[i];
        sqlite3_bind_int64(st, 1, r->run_id);
        sqlite3_bind_int64(st, 2, f->seq);
        sqlite3_bind_int64(st, 3, f->at_ns);
        sqlite3_bind_text(st, 4, f->kind, -1, SQLITE_STATIC);
        if (f->spec != NULL)
            sqlite3_bind_text(st, 5, f->spec, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 5);
        sqlite3_bind_int(st, 6, f->reached);
        sqlite3_bind_int(st, 7, f->took_effect);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
    }
    return rc;
}

int fl_rec_insert_metrics(fl_recorder *r)
{
    sqlite3_stmt *st;
    if (r->nmetrics == 0)
        return SQLITE_OK;
    int rc = fl_db_cached_stmt(r->db, insert_metric_sql, &st);
    for (size_t i = 0; rc == SQLITE_OK && i < r->nmetrics; i++) {
        sqlite3_bind_int64(st, 1, r->run_id);
        sqlite3_bind_text(st, 2, r->metrics[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, r->metrics[i].value);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
    }
    return rc;
}

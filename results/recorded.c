/* recorded.c -- reading a recorded run back (see recorded.h). */
#include "results/recorded.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "storage/db.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void copy_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* The runs columns, in the order load_row reads them; scenarios.plugin_path, origin and
 * parent_run exist from schema 2 on (a file of schema 1 keeps the plugin's path inside
 * the scenario's JSON, and a run with a sweep was the sweep's own), digest_epoch from
 * schema 3 on (every run before was epoch 1). */
static const char row_v3[] =
    "SELECT r.seed, r.schedule_json, r.digest, r.steps, s.json, s.plugin_path, r.outcome,"
    " r.check_name, r.detail, coalesce(r.fail_step, -1), r.recorded, r.scenario_id,"
    " coalesce(r.sweep_id, 0), r.origin, coalesce(r.parent_run, 0), r.digest_epoch"
    " FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?";
static const char row_v2[] =
    "SELECT r.seed, r.schedule_json, r.digest, r.steps, s.json, s.plugin_path, r.outcome,"
    " r.check_name, r.detail, coalesce(r.fail_step, -1), r.recorded, r.scenario_id,"
    " coalesce(r.sweep_id, 0), r.origin, coalesce(r.parent_run, 0), 1"
    " FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?";
static const char row_v1[] =
    "SELECT r.seed, r.schedule_json, r.digest, r.steps, s.json, NULL, r.outcome,"
    " r.check_name, r.detail, coalesce(r.fail_step, -1), r.recorded, r.scenario_id,"
    " coalesce(r.sweep_id, 0), CASE WHEN r.sweep_id IS NULL THEN 'run' ELSE 'sweep' END, 0, 1"
    " FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?";

static int load_row(fl_db *db, fl_recorded_run *rr, char *err, size_t cap)
{
    fl_db_cursor *c;
    int version = fl_db_opened_version(db);
    const char *sql = version >= 3 ? row_v3 : version == 2 ? row_v2 : row_v1;
    int rc = fl_db_cursor_open(db, sql, &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, rr->run_id);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 0) {
        snprintf(err, cap, "no run %lld in %s", (long long)rr->run_id, fl_db_path(db));
        rc = FL_ENOTFOUND;
    } else if (rc == 1) {
        rr->seed = (uint64_t)fl_db_cursor_int(c, 0);
        rr->schedule_json = dup_or_null(fl_db_cursor_text(c, 1));
        copy_text(rr->digest, sizeof rr->digest, fl_db_cursor_text(c, 2));
        rr->steps = (uint64_t)fl_db_cursor_int(c, 3);
        rr->scenario_json = dup_or_null(fl_db_cursor_text(c, 4));
        rr->plugin_path = dup_or_null(fl_db_cursor_text(c, 5));
        copy_text(rr->outcome, sizeof rr->outcome, fl_db_cursor_text(c, 6));
        copy_text(rr->check, sizeof rr->check, fl_db_cursor_text(c, 7));
        rr->detail = dup_or_null(fl_db_cursor_text(c, 8));
        rr->fail_step = fl_db_cursor_int(c, 9);
        copy_text(rr->recorded, sizeof rr->recorded, fl_db_cursor_text(c, 10));
        rr->scenario_id = fl_db_cursor_int(c, 11);
        rr->sweep_id = fl_db_cursor_int(c, 12);
        copy_text(rr->origin, sizeof rr->origin, fl_db_cursor_text(c, 13));
        rr->parent_run = fl_db_cursor_int(c, 14);
        rr->digest_epoch = (int)fl_db_cursor_int(c, 15);
        rc = rr->scenario_json ? 0 : FL_ENOMEM;
    }
    fl_db_cursor_close(c);
    return rc;
}

static int load_chains(fl_db *db, fl_recorded_run *rr, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, "SELECT step, chain FROM events WHERE run_id = ? ORDER BY step",
                               &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, rr->run_id);
    size_t cap_n = 0;
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        if ((uint64_t)fl_db_cursor_int(c, 0) != rr->nchains)
            break; /* a gap: keep the prefix that is complete */
        if (rr->nchains == cap_n) {
            cap_n = cap_n ? cap_n * 2 : 1024;
            int64_t *p = realloc(rr->chains, cap_n * sizeof *p);
            if (!p) {
                rc = FL_ENOMEM;
                break;
            }
            rr->chains = p;
        }
        rr->chains[rr->nchains++] = fl_db_cursor_int(c, 1);
    }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

int fl_recorded_load(const char *path, const char *run, fl_recorded_run *rr, char *err, size_t cap)
{
    memset(rr, 0, sizeof *rr);
    char *end;
    long long id = strtoll(run, &end, 10);
    if (!isdigit((unsigned char)run[0]) || *end || id <= 0) {
        snprintf(err, cap, "RUN: expected a run id (a positive integer), got '%s'", run);
        return FL_EINVAL;
    }
    rr->run_id = id;
    fl_db *db;
    int rc = fl_db_open(&db, path, FL_DB_READONLY, err, cap);
    if (rc)
        return rc;
    rc = fl_db_verify(db, err, cap); /* replaying from a damaged file proves nothing */
    if (rc == 0)
        rc = load_row(db, rr, err, cap);
    if (rc == 0)
        rc = load_chains(db, rr, err, cap);
    fl_db_close(db);
    return rc;
}

void fl_recorded_close(fl_recorded_run *rr)
{
    free(rr->scenario_json);
    free(rr->plugin_path);
    free(rr->schedule_json);
    free(rr->chains);
    free(rr->detail);
    memset(rr, 0, sizeof *rr);
}

/* rec_stream_run.c -- the runs row of a run read back (see rec_stream_impl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/world.h"
#include "results/rec_stream_impl.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void copy_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* The protocol's name as run_begin gave it: the scenario's, or for a plugin the NAME
 * of its libNAME.so (what `show` labels it with). */
static void protocol_name(fl_db_cursor *c, char *out, size_t cap)
{
    const char *name = fl_db_cursor_text(c, 15), *file = fl_db_cursor_text(c, 16);
    size_t n = file ? strlen(file) : 0;
    if (name)
        copy_text(out, cap, name);
    else if (n > 6 && strncmp(file, "lib", 3) == 0 && strcmp(file + n - 3, ".so") == 0)
        snprintf(out, cap, "%.*s", (int)(n - 6), file + 3);
    else
        copy_text(out, cap, file ? file : "?");
}

static void run_from_row(fl_db_cursor *c, fl_rec_run_row *w)
{
    fl_run_result *res = &w->res;
    int outcome = fl_rec_parse_name(fl_outcome_name, FL_OUTCOME_COUNT, fl_db_cursor_text(c, 2));
    res->outcome = outcome < 0 ? FL_OUTCOME_ERROR : outcome;
    copy_text(res->check, sizeof res->check, fl_db_cursor_text(c, 3));
    copy_text(res->detail, sizeof res->detail, fl_db_cursor_text(c, 4));
    res->fail_step = fl_db_cursor_int(c, 5);
    res->fail_time_ns = fl_db_cursor_int(c, 6);
    res->steps = (uint64_t)fl_db_cursor_int(c, 7);
    res->sim_time_ns = fl_db_cursor_int(c, 8);
    res->msgs_sent = (uint64_t)fl_db_cursor_int(c, 9);
    res->msgs_delivered = (uint64_t)fl_db_cursor_int(c, 10);
    res->msgs_dropped = (uint64_t)fl_db_cursor_int(c, 11);
    res->faults = (uint64_t)fl_db_cursor_int(c, 12);
    copy_text(res->digest, sizeof res->digest, fl_db_cursor_text(c, 13));
    copy_text(w->recorded, sizeof w->recorded, fl_db_cursor_text(c, 14));
    w->seed = (uint64_t)fl_db_cursor_int(c, 0);
    w->nodes = (int)fl_db_cursor_int(c, 17);
    protocol_name(c, w->protocol, sizeof w->protocol);
    w->schedule_json = dup_or_null(fl_db_cursor_text(c, 1));
}

int fl_rec_read_run(fl_db *db, int64_t run, fl_rec_run_row *w, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(
        db,
        "SELECT r.seed, r.schedule_json, r.outcome, r.check_name, r.detail, "
        "coalesce(r.fail_step, -1), coalesce(r.fail_time_ns, -1), r.steps, r.sim_time_ns, "
        "r.msgs_sent, r.msgs_delivered, r.msgs_dropped, r.faults, r.digest, r.recorded, "
        "json_extract(s.json, '$.protocol'), json_extract(s.json, '$.plugin.name'), "
        "coalesce(json_extract(s.json, '$.nodes'), 0) "
        "FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?1",
        &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, run);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 1) {
        run_from_row(c, w);
        rc = 0;
    } else if (rc == 0) {
        snprintf(err, cap, "no run %lld in %s", (long long)run, fl_db_path(db));
        rc = FL_ENOTFOUND;
    }
    fl_db_cursor_close(c);
    return rc;
}

int fl_rec_stream_info(fl_db *db, int64_t run_id, fl_rec_stream_run *info, char *err, size_t cap)
{
    fl_rec_run_row w = {0};
    int rc = fl_rec_read_run(db, run_id, &w, err, cap);
    if (rc == 0) {
        copy_text(info->recorded, sizeof info->recorded, w.recorded);
        info->steps = w.res.steps;
        info->nodes = w.nodes;
    }
    free(w.schedule_json);
    return rc;
}

/*
 * sweep_json.c -- `sweep --format json` (see sweep_json.h).
 *
 * What the database knows (outcomes, violations, the failing seeds) is assembled by
 * SQLite's JSON functions in one statement, so types and escaping are SQLite's; what
 * only this invocation knows (ran, wall time, recordings) is added here.
 */
#include "sim/sweep_json.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/jsonout.h"

static const char from_db_sql[] =
    "SELECT json_object("
    " 'seeds_total', (SELECT count(*) FROM runs WHERE sweep_id = ?1),"
    " 'failing', (SELECT count(*) FROM runs WHERE sweep_id = ?1 AND outcome <> 'ok'),"
    " 'outcomes', (SELECT json_group_object(outcome, n) FROM (SELECT outcome, count(*) AS n"
    "   FROM runs WHERE sweep_id = ?1 GROUP BY outcome ORDER BY outcome)),"
    " 'violations', (SELECT json_group_object(c, n) FROM (SELECT coalesce(check_name, '?')"
    "   AS c, count(*) AS n FROM runs WHERE sweep_id = ?1 AND outcome = 'violation'"
    "   GROUP BY 1 ORDER BY 1)),"
    " 'failing_seeds', (SELECT json_group_array(json_object('run_id', id, 'seed', seed,"
    "   'outcome', outcome, 'check', check_name, 'detail', detail, 'recorded', recorded))"
    "   FROM (SELECT * FROM runs WHERE sweep_id = ?1 AND outcome <> 'ok'"
    "   ORDER BY seed LIMIT 100)))";

/* The database's part of the summary into *out; a failed read is its FL_E code (a
 * damaged page must not look like an empty sweep). */
static int from_db(fl_db *db, int64_t sweep_id, cJSON **out, char *err, size_t cap)
{
    fl_db_cursor *c;
    *out = NULL;
    int rc = fl_db_cursor_open(db, from_db_sql, &c, err, cap);
    if (rc != 0)
        return rc;
    fl_db_cursor_bind_int(c, 1, sweep_id);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 1 && fl_db_cursor_text(c, 0))
        *out = cJSON_Parse(fl_db_cursor_text(c, 0));
    fl_db_cursor_close(c);
    if (rc < 0)
        return rc;
    if (*out == NULL) {
        snprintf(err, cap, "summary: out of memory");
        return FL_ENOMEM;
    }
    return 0;
}

/* The keys in the documented order: what this invocation knows, then the database's. */
static cJSON *assemble(const fl_sweep_json_in *in, const fl_sweep_stats *st, cJSON *db)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "sweep_id", (double)in->sweep_id);
    cJSON_AddStringToObject(o, "db", in->db_path);
    cJSON *seeds = cJSON_AddObjectToObject(o, "seeds");
    cJSON_AddNumberToObject(seeds, "from", (double)in->from);
    cJSON_AddNumberToObject(seeds, "to", (double)in->to);
    if (in->shard)
        cJSON_AddStringToObject(o, "shard", in->shard);
    else
        cJSON_AddNullToObject(o, "shard");
    cJSON_AddNumberToObject(o, "ran", (double)st->ran);
    cJSON_AddNumberToObject(o, "already_done", (double)in->already_done);
    cJSON_AddNumberToObject(o, "wall_s", st->wall_s);
    static const char *const from_db_keys[] = {"seeds_total", "failing", "outcomes", "violations",
                                               "failing_seeds"};
    for (size_t i = 0; i < sizeof from_db_keys / sizeof from_db_keys[0]; i++) {
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(db, from_db_keys[i]);
        cJSON_AddItemToObject(o, from_db_keys[i], v ? v : cJSON_CreateNull());
    }
    cJSON_AddNumberToObject(o, "recorded", (double)st->recorded);
    cJSON_AddNumberToObject(o, "digest_mismatches", (double)st->mismatches);
    cJSON_AddNumberToObject(o, "pending", (double)st->pending);
    cJSON_AddBoolToObject(o, "interrupted", st->interrupted);
    cJSON_AddBoolToObject(o, "stopped", st->stopped);
    return o;
}

int fl_sweep_print_json(FILE *out, fl_db *db, const fl_sweep_json_in *in, const fl_sweep_stats *st,
                        uint64_t *failing, char *err, size_t cap)
{
    cJSON *d;
    int rc = from_db(db, in->sweep_id, &d, err, cap);
    if (rc != 0)
        return rc;
    cJSON *o = assemble(in, st, d);
    cJSON_Delete(d);
    char *text = o ? fl_json_print(o) : NULL;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "failing");
    *failing = cJSON_IsNumber(f) ? (uint64_t)f->valuedouble : 0;
    cJSON_Delete(o);
    if (!text) {
        snprintf(err, cap, "summary: out of memory");
        return FL_ENOMEM;
    }
    fprintf(out, "%s\n", text);
    free(text);
    return 0;
}

/*
 * serve_api_runs.c -- the API over many runs: /api/meta, /api/runs (filter, sort,
 * facets, .json and .csv), /api/sweep/N (the figures of `query --report` for one
 * sweep) and /api/sql (the read-only SQL box).
 *
 * Filters are bound parameters of one fixed statement ("?1 IS NULL OR ..."), and the
 * sort column comes from a fixed list: a request chooses values, never SQL text (the
 * SQL box excepted, which storage's cursor guards).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/serve/serve_impl.h"

#ifndef FL_VERSION
#define FL_VERSION "unknown"
#endif

int api_meta(serve_req *q)
{
    const char *path = fl_db_path(q->s->db);
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    evbuffer_add(q->out, "{\"db\":", 6);
    sj_str(q->out, base, strlen(base));
    evbuffer_add_printf(q->out, ",\"schema_version\":%" PRId64 ",\"faultline\":", q->s->schema);
    sj_str(q->out, FL_VERSION, strlen(FL_VERSION));
    evbuffer_add_printf(q->out, ",\"row_cap\":%d,\"time_limit_ms\":%d,\"counts\":", SERVE_ROW_CAP,
                        SERVE_TIME_LIMIT_MS);
    int rc = sj_rows(q, SJ_ONE,
                     "SELECT (SELECT count(*) FROM runs) AS runs,"
                     " (SELECT count(*) FROM runs WHERE recorded = 'all') AS recorded,"
                     " (SELECT count(*) FROM runs WHERE outcome <> 'ok') AS failing,"
                     " (SELECT count(*) FROM sweeps) AS sweeps,"
                     " (SELECT count(*) FROM scenarios) AS scenarios",
                     NULL, 0, 1, NULL);
    if (rc == 0) {
        evbuffer_add(q->out, ",\"sweeps\":", 10);
        rc = sj_rows(q, SJ_OBJECTS,
                     "SELECT w.id, s.name AS scenario, w.seeds_from, w.seeds_to, w.shard,"
                     " w.status, w.started_at, w.finished_at,"
                     " (SELECT count(*) FROM runs AS r WHERE r.sweep_id = w.id) AS runs,"
                     " (SELECT count(*) FROM runs AS r WHERE r.sweep_id = w.id"
                     "  AND r.outcome <> 'ok') AS failing"
                     " FROM sweeps AS w JOIN scenarios AS s ON s.id = w.scenario_id"
                     " ORDER BY w.id DESC",
                     NULL, 0, 200, NULL);
    }
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}

/* The filter of /api/runs, as bound parameters ?1..?7 of RUNS_WHERE. */
#define RUNS_FROM " FROM runs AS r JOIN scenarios AS s ON s.id = r.scenario_id"
#define RUNS_WHERE                                                                                 \
    " WHERE (?1 IS NULL OR s.name = ?1) AND (?2 IS NULL OR r.outcome = ?2)"                        \
    " AND (?3 IS NULL OR coalesce(r.check_name, '-') = ?3) AND (?4 IS NULL OR r.sweep_id = ?4)"    \
    " AND (?5 IS NULL OR r.origin = ?5) AND (?6 IS NULL OR r.outcome <> 'ok')"                     \
    " AND (?7 IS NULL OR r.recorded = ?7)"
#define RUNS_NBINDS 7

static int runs_filter(serve_req *q, sj_bind *b)
{
    static const char *const names[] = {"scenario", "outcome", "check", NULL, "origin"};
    for (int i = 0; i < 5; i++)
        if (names[i] != NULL)
            b[i] = SJ_TEXT(sj_param(q, names[i]));
    int64_t sweep, failing;
    int rc = sj_int_param(q, "sweep", 0, INT64_MAX, -1, &sweep);
    if (rc == 0)
        rc = sj_int_param(q, "failing", 0, 1, 0, &failing);
    if (rc != 0)
        return rc;
    b[3] = sweep >= 0 ? SJ_INT(sweep) : SJ_TEXT(NULL);
    b[5] = failing ? SJ_INT(1) : SJ_TEXT(NULL);
    b[6] = SJ_TEXT(sj_param(q, "recorded"));
    return 0;
}

/* ORDER BY from a fixed list; id breaks ties so that pages do not overlap. */
static int runs_order(serve_req *q, char *buf, size_t cap)
{
    static const char *const cols[] = {"id",      "seed",      "outcome",     "steps",
                                       "faults",  "fail_step", "sim_time_ns", "msgs_dropped",
                                       "wall_us", "scenario",  NULL};
    const char *sort = sj_param(q, "sort");
    const char *order = sj_param(q, "order");
    int found = sort == NULL;
    for (int i = 0; !found && cols[i] != NULL; i++)
        found = strcmp(sort, cols[i]) == 0;
    if (!found)
        return sj_fail(q, SV_BAD, "sort: expected a column of the runs list");
    if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
        return sj_fail(q, SV_BAD, "order: expected asc or desc");
    const char *col = sort == NULL ? "id" : sort;
    snprintf(buf, cap, " ORDER BY %s%s %s, r.id", strcmp(col, "scenario") == 0 ? "s." : "r.",
             strcmp(col, "scenario") == 0 ? "name" : col, order != NULL ? order : "asc");
    return 0;
}

static int runs_facets(serve_req *q, const sj_bind *b)
{
    static const struct {
        const char *name, *expr;
    } facets[] = {
        {"scenario", "s.name"},  {"outcome", "r.outcome"}, {"check", "coalesce(r.check_name, '-')"},
        {"sweep", "r.sweep_id"}, {"origin", "r.origin"},
    };
    int rc = 0;
    evbuffer_add(q->out, ",\"facets\":{", 11);
    for (size_t i = 0; rc == 0 && i < sizeof facets / sizeof facets[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT %s AS value, count(*) AS n" RUNS_FROM RUNS_WHERE
                 " GROUP BY 1 ORDER BY n DESC, 1 LIMIT 50",
                 facets[i].expr);
        evbuffer_add_printf(q->out, "%s\"%s\":", i > 0 ? "," : "", facets[i].name);
        rc = sj_rows(q, SJ_OBJECTS, sql, b, RUNS_NBINDS, 50, NULL);
    }
    evbuffer_add(q->out, "}", 1);
    return rc;
}

int api_runs(serve_req *q)
{
    sj_bind b[RUNS_NBINDS + 2];
    char order[128], sql[2048];
    int64_t limit, offset, total = 0;
    int rc = runs_filter(q, b);
    if (rc == 0)
        rc = runs_order(q, order, sizeof order);
    if (rc == 0)
        rc = sj_int_param(q, "limit", 1, SERVE_ROW_CAP, 100, &limit);
    if (rc == 0)
        rc = sj_int_param(q, "offset", 0, INT64_MAX, 0, &offset);
    if (rc != 0)
        return rc;
    b[RUNS_NBINDS] = SJ_INT(limit);
    b[RUNS_NBINDS + 1] = SJ_INT(offset);
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.sweep_id AS sweep, s.name AS scenario, r.seed, r.outcome,"
             " r.check_name AS \"check\", r.detail, r.fail_step, r.steps, r.sim_time_ns,"
             " r.msgs_sent, r.msgs_delivered, r.msgs_dropped, r.faults, r.digest, r.recorded,"
             " r.origin, r.parent_run" RUNS_FROM RUNS_WHERE "%s LIMIT ?8 OFFSET ?9",
             order);
    if (q->csv)
        return sj_csv(q, sql, b, RUNS_NBINDS + 2, SERVE_ROW_CAP);
    rc = sj_int(q, "SELECT count(*)" RUNS_FROM RUNS_WHERE, b, RUNS_NBINDS, 0, &total);
    if (rc != 0)
        return rc;
    evbuffer_add_printf(
        q->out,
        "{\"total\":%" PRId64 ",\"limit\":%" PRId64 ",\"offset\":%" PRId64 ",\"runs\":", total,
        limit, offset);
    rc = sj_rows(q, SJ_OBJECTS, sql, b, RUNS_NBINDS + 2, SERVE_ROW_CAP, NULL);
    if (rc == 0)
        rc = runs_facets(q, b);
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}

/* The sweep report's figures for sweep N (docs/sweep.md's `--report`, one sweep). */
int api_sweep(serve_req *q)
{
    static const struct {
        const char *key, *sql;
        int mode;
    } parts[] = {
        {"sweep",
         "SELECT w.id, s.name AS scenario, w.seeds_from, w.seeds_to, w.shard, w.jobs, w.status,"
         " w.started_at, w.finished_at FROM sweeps AS w JOIN scenarios AS s"
         " ON s.id = w.scenario_id WHERE w.id = ?1",
         SJ_ONE},
        {"outcomes",
         "SELECT outcome, count(*) AS runs, min(seed) AS first_seed FROM runs"
         " WHERE sweep_id = ?1 AND origin = 'sweep' GROUP BY outcome ORDER BY runs DESC",
         SJ_OBJECTS},
        {"violations",
         "SELECT coalesce(check_name, outcome) AS \"check\", count(*) AS runs,"
         " min(seed) AS first_seed, avg(fail_time_ns) AS mean_fail_ns FROM runs"
         " WHERE sweep_id = ?1 AND origin = 'sweep' AND outcome <> 'ok'"
         " GROUP BY 1 ORDER BY runs DESC",
         SJ_OBJECTS},
        /* Per fault kind: in how many failing and passing runs at least one happened. */
        {"faults",
         "SELECT substr(m.name, 8, length(m.name) - 17) AS fault,"
         " sum(r.outcome <> 'ok' AND m.value > 0) AS failing_with,"
         " sum(r.outcome <> 'ok') AS failing,"
         " sum(r.outcome = 'ok' AND m.value > 0) AS passing_with,"
         " sum(r.outcome = 'ok') AS passing"
         " FROM metrics AS m JOIN runs AS r ON r.id = m.run_id"
         " WHERE r.sweep_id = ?1 AND r.origin = 'sweep' AND m.name GLOB 'faults.*.effective'"
         " GROUP BY 1 ORDER BY 1",
         SJ_OBJECTS},
        {"fail_times",
         "SELECT id, seed, outcome, fail_time_ns FROM runs WHERE sweep_id = ?1"
         " AND origin = 'sweep' AND outcome <> 'ok' AND fail_time_ns IS NOT NULL"
         " ORDER BY fail_time_ns",
         SJ_OBJECTS},
    };
    sj_bind b = SJ_INT(q->id[0]);
    int64_t found = 0;
    int rc = sj_int(q, "SELECT count(*) FROM sweeps WHERE id = ?1", &b, 1, 0, &found);
    if (rc == 0 && found == 0)
        return sj_fail(q, SV_NOTFOUND, "no sweep %" PRId64, q->id[0]);
    evbuffer_add(q->out, "{", 1);
    for (size_t i = 0; rc == 0 && i < sizeof parts / sizeof parts[0]; i++) {
        evbuffer_add_printf(q->out, "%s\"%s\":", i > 0 ? "," : "", parts[i].key);
        rc = sj_rows(q, parts[i].mode, parts[i].sql, &b, 1, SERVE_ROW_CAP, NULL);
    }
    evbuffer_add(q->out, "}\n", 2);
    return rc;
}

/* /api/sql?q=SQL: one read-only statement (storage's cursor refuses the rest), at most
 * SERVE_ROW_CAP rows, SERVE_TIME_LIMIT_MS per statement. */
int api_sql(serve_req *q)
{
    const char *sql = sj_param(q, "q");
    if (sql == NULL || sql[0] == '\0')
        return sj_fail(q, SV_BAD, "q: no SQL given");
    if (strlen(sql) > 100000)
        return sj_fail(q, SV_BAD, "q: longer than 100000 bytes");
    if (q->csv)
        return sj_csv(q, sql, NULL, 0, SERVE_ROW_CAP);
    int rc = sj_rows(q, SJ_ARRAYS, sql, NULL, 0, SERVE_ROW_CAP, NULL);
    if (rc == 0)
        evbuffer_add(q->out, "\n", 1);
    return rc;
}

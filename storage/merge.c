/*
 * merge.c -- combining faultline databases (see merge.h).
 *
 * Two phases on OUT's connection:
 *
 * 1. Staging: each input in turn is ATTACHed, copied whole into TEMP tables (m_runs,
 *    m_events, ...: the input's rows plus `fl_in`, the input's index; not `src`, a
 *    column of messages that it shadowed) inside one read transaction (a consistent
 *    snapshot even if a sweep is still writing it), and DETACHed.  Why not read the
 *    inputs inside OUT's transaction directly: SQLite attaches at most 10 databases,
 *    and an attached database that a transaction has
 *    read cannot be detached before that transaction ends, so a merge would be capped
 *    at 10 inputs -- a 100-task Slurm array or Kubernetes Job has 100.  Staging costs
 *    one extra copy, in the temporary store, never in OUT.
 * 2. Writing: one BEGIN IMMEDIATE transaction maps scenarios by hash, finds duplicate
 *    runs (refusing before anything is written unless they are to be skipped), maps
 *    sweeps, gives the kept runs fresh ids (max(id) of OUT + 1, ... in input order)
 *    and copies every row that belongs to them with INSERT ... SELECT.
 *
 * Column lists come from OUT's schema (pragma_table_info), so a column added by a later
 * schema version is copied without touching this file; an input of an older schema is
 * migrated while it is staged (its missing columns get what the migration gives them),
 * and parent_run is remapped to the runs' new ids.  Only a sweep's own runs
 * (origin = 'sweep') can be duplicates.  A new *table* must be added to the lists
 * below: a table merge does not know makes it fail rather than silently drop rows.
 */
#include "storage/merge.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/error.h"
#include "storage/merge_impl.h"

static void drop_work_tables(merge *m)
{
    for (size_t i = 0; i < NSTAGED; i++)
        fl_merge_run_owned(
            m, sqlite3_mprintf("DROP TABLE IF EXISTS temp.\"m_%w\"", staged_tables[i]), "merge");
    for (size_t i = 0; i < sizeof work_tables / sizeof work_tables[0]; i++)
        fl_merge_run_owned(m, sqlite3_mprintf("DROP TABLE IF EXISTS temp.\"%w\"", work_tables[i]),
                           "merge");
}

/* OUT's tables must all be known here (see the file comment). */
static int check_tables(merge *m)
{
    sqlite3_stmt *st;
    int rc =
        fl_merge_prepare(m,
                         "SELECT name FROM main.sqlite_schema WHERE type = 'table'"
                         " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('meta',"
                         " 'scenarios', 'sweeps', 'runs', 'events', 'faults', 'logs', 'messages',"
                         " 'metrics', 'snapshots', 'history', 'shrinks') ORDER BY name LIMIT 1",
                         &st, "merge");
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        fl_merge_set_err(m, "table %s is unknown to merge (storage/merge.c needs it)",
                         (const char *)sqlite3_column_text(st, 0));
        rc = FL_EINTERNAL;
    }
    sqlite3_finalize(st);
    return rc;
}

static int create_staging(merge *m)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < NSTAGED; i++)
        rc = fl_merge_run_owned(m,
                                sqlite3_mprintf("CREATE TEMP TABLE \"m_%w\" AS SELECT 0 AS fl_in, *"
                                                " FROM main.\"%w\" WHERE 0",
                                                staged_tables[i], staged_tables[i]),
                                "merge: staging");
    return rc;
}

/* ---- phase 2 ---- */

/* Scenarios by hash: insert the new ones, map every input's ids to OUT's. */
static int map_scenarios(merge *m)
{
    sqlite3_stmt *st;
    /* A 64-bit hash collision would silently merge two different scenarios. */
    int rc = fl_merge_prepare(m,
                              "SELECT s.hash FROM temp.m_scenarios s JOIN main.scenarios o"
                              " ON o.hash = s.hash WHERE o.json <> s.json UNION ALL SELECT hash"
                              " FROM temp.m_scenarios GROUP BY hash HAVING count(DISTINCT json) > 1"
                              " LIMIT 1",
                              &st, "merge: scenarios");
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        fl_merge_set_err(m, "scenario hash %s names two different scenarios",
                         (const char *)sqlite3_column_text(st, 0));
        rc = FL_EINVAL;
    }
    sqlite3_finalize(st);
    static const char *const map[] = {"id", NULL, NULL};
    if (rc == 0)
        rc = fl_merge_run_owned(
            m,
            fl_merge_copy_sql(m->h, "scenarios", "main.scenarios", NULL, map,
                              "FROM temp.m_scenarios t WHERE true ORDER BY t.fl_in, t.id"
                              " ON CONFLICT(hash) DO NOTHING"),
            "merge: scenarios");
    if (rc == 0)
        m->st->scenarios = (uint64_t)sqlite3_changes(m->h);
    if (rc == 0)
        rc = fl_merge_run(
            m,
            "CREATE TEMP TABLE scen_map(src INTEGER, id INTEGER, dst INTEGER,"
            " PRIMARY KEY (src, id)) WITHOUT ROWID;"
            "INSERT INTO temp.scen_map SELECT s.fl_in, s.id, o.id FROM temp.m_scenarios s"
            " JOIN main.scenarios o ON o.hash = s.hash;",
            "merge: scenarios");
    return rc;
}

/* Rows that point at a scenario their database does not have: refuse rather than drop. */
static int check_orphans(merge *m)
{
    sqlite3_stmt *st;
    int rc = fl_merge_prepare(
        m,
        "SELECT t.fl_in, 'run', t.id FROM temp.m_runs t LEFT JOIN temp.scen_map s"
        " ON s.src = t.fl_in AND s.id = t.scenario_id WHERE s.dst IS NULL UNION ALL"
        " SELECT t.fl_in, 'sweep', t.id FROM temp.m_sweeps t LEFT JOIN temp.scen_map s"
        " ON s.src = t.fl_in AND s.id = t.scenario_id WHERE s.dst IS NULL LIMIT 1",
        &st, "merge");
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        fl_merge_set_err(m, "%s: %s %lld refers to a scenario that is not in the file",
                         m->in[sqlite3_column_int(st, 0) - 1],
                         (const char *)sqlite3_column_text(st, 1),
                         (long long)sqlite3_column_int64(st, 2));
        rc = FL_ESCHEMA;
    }
    sqlite3_finalize(st);
    return rc;
}

/* run_key: every staged run with its OUT scenario and whether it is a duplicate: OUT has
 * the (scenario, seed) already, or an earlier staged run (in input order) has it. */
static const char run_key_sql[] =
    "CREATE TEMP TABLE run_key AS SELECT src, id, sweep_id, scen, seed, first_src,"
    "  out_digest IS NOT NULL AS in_out, (nth > 1 OR out_digest IS NOT NULL) AS dup,"
    "  ((nth > 1 OR out_digest IS NOT NULL) AND digest IS NOT coalesce(out_digest, first_digest))"
    "   AS differs"
    " FROM (SELECT r.fl_in AS src, r.id, r.sweep_id, s.dst AS scen, r.seed, r.digest,"
    "   row_number() OVER w AS nth, first_value(r.fl_in) OVER w AS first_src,"
    "   first_value(r.digest) OVER w AS first_digest,"
    "   CASE WHEN r.origin = 'sweep' THEN (SELECT o.digest FROM main.runs o"
    "    WHERE o.scenario_id = s.dst AND o.seed = r.seed AND o.origin = 'sweep'"
    "    AND o.digest_epoch = r.digest_epoch ORDER BY o.id LIMIT 1) END AS out_digest"
    "  FROM temp.m_runs r JOIN temp.scen_map s ON s.src = r.fl_in AND s.id = r.scenario_id"
    /* only a sweep's own runs can be duplicates: re-executions of a seed are not, nor
     * are runs of another digest epoch (a different run of the same seed) */
    "  WINDOW w AS (PARTITION BY s.dst, r.seed, r.digest_epoch,"
    "   CASE WHEN r.origin = 'sweep' THEN 0 ELSE r.fl_in * 4294967296 + r.id END"
    "   ORDER BY r.fl_in, r.id))";

/* Name the first duplicate in err: which input, which seed, where it is already. */
static void describe_duplicate(merge *m)
{
    sqlite3_stmt *st;
    if (fl_merge_prepare(
            m,
            "SELECT k.src, k.seed, k.first_src, k.in_out, s.name FROM temp.run_key k"
            " JOIN main.scenarios s ON s.id = k.scen WHERE k.dup ORDER BY k.src, k.seed, k.id"
            " LIMIT 1",
            &st, "merge: duplicates"))
        return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int src = sqlite3_column_int(st, 0), first = sqlite3_column_int(st, 2);
        uint64_t seed = (uint64_t)sqlite3_column_int64(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 4);
        char where[512];
        if (sqlite3_column_int(st, 3))
            snprintf(where, sizeof where, "is already in %s", fl_db_path(m->out));
        else if (first == src)
            snprintf(where, sizeof where, "is there twice");
        else
            snprintf(where, sizeof where, "is also in %s", m->in[first - 1]);
        fl_merge_set_err(
            m, "%s: seed %" PRIu64 " of scenario '%s' %s (%" PRIu64 " duplicate run%s in all)",
            m->in[src - 1], seed, name ? name : "?", where, m->st->duplicates,
            m->st->duplicates == 1 ? "" : "s");
    }
    sqlite3_finalize(st);
}

static int find_duplicates(merge *m)
{
    sqlite3_stmt *st;
    int rc = fl_merge_run(m, run_key_sql, "merge: duplicates");
    if (rc == 0)
        rc = fl_merge_prepare(
            m,
            "SELECT coalesce(sum(dup), 0), coalesce(sum(differs), 0), (SELECT seed FROM"
            " temp.run_key WHERE differs ORDER BY src, seed, id LIMIT 1) FROM temp.run_key",
            &st, "merge: duplicates");
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        m->st->duplicates = (uint64_t)sqlite3_column_int64(st, 0);
        m->st->digest_differs = (uint64_t)sqlite3_column_int64(st, 1);
        m->st->differs_seed = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (m->st->duplicates > 0 && !(m->flags & FL_DB_MERGE_SKIP_DUPLICATES)) {
        fl_merge_set_err(m, "duplicate runs");
        describe_duplicate(m);
        return FL_EINVAL;
    }
    return 0;
}

/* The staged sweeps, each with its OUT scenario and how many of its runs are kept. */
static const char sweeps_sql[] =
    "SELECT t.fl_in, t.id, s.dst, t.seeds_from, t.seeds_to, t.shard, t.started_at, t.status,"
    "  t.finished_at, c.n, c.kept"
    " FROM temp.m_sweeps t JOIN temp.scen_map s ON s.src = t.fl_in AND s.id = t.scenario_id"
    " LEFT JOIN (SELECT src, sweep_id, count(*) AS n, sum(NOT dup) AS kept FROM temp.run_key"
    "   GROUP BY src, sweep_id) c ON c.src = t.fl_in AND c.sweep_id = t.id"
    " ORDER BY t.fl_in, t.id";

/* One staged sweep (row of sweeps_sql in q) to its OUT id: the same sweep if OUT has it
 * (a shard merged again after it went on), else a new row -- unless every one of its
 * runs is a skipped duplicate, which would leave an empty sweep behind (*dst = 0). */
static int map_sweep(merge *m, sqlite3_stmt *q, sqlite3_stmt *find, sqlite3_stmt *ins, int64_t *dst)
{
    *dst = 0;
    sqlite3_reset(find);
    for (int i = 1; i <= 5; i++)
        sqlite3_bind_value(find, i, sqlite3_column_value(q, i + 1));
    int rc = sqlite3_step(find);
    if (rc == SQLITE_ROW) {
        *dst = sqlite3_column_int64(find, 0);
        const char *have = (const char *)sqlite3_column_text(find, 1);
        const char *status = (const char *)sqlite3_column_text(q, 7);
        if (have && status && strcmp(have, "done") != 0 && strcmp(status, "done") == 0) {
            char *sql = sqlite3_mprintf("UPDATE main.sweeps SET status = 'done', finished_at = %Q"
                                        " WHERE id = %lld",
                                        (const char *)sqlite3_column_text(q, 8), (long long)*dst);
            return fl_merge_run_owned(m, sql, "merge: sweeps");
        }
        return 0;
    }
    if (rc != SQLITE_DONE)
        return fl_db_error(m->out, rc, "merge: sweeps", m->err, m->cap);
    if (sqlite3_column_type(q, 9) != SQLITE_NULL && sqlite3_column_int64(q, 10) == 0)
        return 0;
    sqlite3_reset(ins);
    sqlite3_bind_value(ins, 1, sqlite3_column_value(q, 0));
    sqlite3_bind_value(ins, 2, sqlite3_column_value(q, 1));
    sqlite3_bind_value(ins, 3, sqlite3_column_value(q, 2));
    rc = sqlite3_step(ins);
    if (rc != SQLITE_DONE)
        return fl_db_error(m->out, rc, "merge: sweeps", m->err, m->cap);
    *dst = sqlite3_last_insert_rowid(m->h);
    m->st->sweeps++;
    return 0;
}

static int map_sweeps(merge *m)
{
    static const char *const map[] = {"id", NULL, "scenario_id", "?3", NULL};
    sqlite3_stmt *q = NULL, *find = NULL, *ins = NULL, *put = NULL;
    char *ins_sql = fl_merge_copy_sql(m->h, "sweeps", "main.sweeps", NULL, map,
                                      "FROM temp.m_sweeps t WHERE t.fl_in = ?1 AND t.id = ?2");
    int rc = fl_merge_run(m,
                          "CREATE TEMP TABLE sweep_map(src INTEGER, id INTEGER, dst INTEGER,"
                          " PRIMARY KEY (src, id)) WITHOUT ROWID",
                          "merge: sweeps");
    if (rc == 0 && ins_sql == NULL)
        rc = fl_merge_run(m, NULL, "merge: sweeps");
    if (rc == 0)
        rc = fl_merge_prepare(m, sweeps_sql, &q, "merge: sweeps");
    if (rc == 0)
        rc = fl_merge_prepare(
            m,
            "SELECT id, status FROM main.sweeps WHERE scenario_id = ?1 AND seeds_from = ?2"
            " AND seeds_to = ?3 AND shard IS ?4 AND started_at = ?5 ORDER BY id LIMIT 1",
            &find, "merge: sweeps");
    if (rc == 0)
        rc = fl_merge_prepare(m, ins_sql, &ins, "merge: sweeps");
    if (rc == 0)
        rc = fl_merge_prepare(m, "INSERT INTO temp.sweep_map VALUES (?1, ?2, ?3)", &put,
                              "merge: sweeps");
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t dst;
        rc = map_sweep(m, q, find, ins, &dst);
        if (rc || dst == 0)
            continue;
        sqlite3_reset(put);
        sqlite3_bind_value(put, 1, sqlite3_column_value(q, 0));
        sqlite3_bind_value(put, 2, sqlite3_column_value(q, 1));
        sqlite3_bind_int64(put, 3, dst);
        if ((step = sqlite3_step(put)) != SQLITE_DONE)
            rc = fl_db_error(m->out, step, "merge: sweeps", m->err, m->cap);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = fl_db_error(m->out, step, "merge: sweeps", m->err, m->cap);
    sqlite3_finalize(q);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(put);
    sqlite3_free(ins_sql);
    return rc;
}

/* -- shrink (schema 4): a shrinks row links two runs; it is copied, under a fresh id,
 * when both of them are. */
static int copy_shrinks(merge *m)
{
    static const char *const map[] = {"id",    "NULL", "original_run", "a.dst", "shrunk_run",
                                      "b.dst", NULL};
    char *sql = fl_merge_copy_sql(m->h, "shrinks", "main.shrinks", NULL, map,
                                  "FROM temp.m_shrinks t JOIN temp.run_map a ON a.src = t.fl_in"
                                  " AND a.id = t.original_run JOIN temp.run_map b ON b.src ="
                                  " t.fl_in AND b.id = t.shrunk_run ORDER BY t.fl_in, t.id");
    int rc = fl_merge_run(m, sql, "shrinks");
    if (rc == 0)
        m->st->rows += (uint64_t)sqlite3_changes(m->h);
    sqlite3_free(sql);
    return rc;
}

/* The kept runs under fresh ids (after OUT's last, in input order), then their rows. */
static int copy_runs(merge *m)
{
    static const char *const run_map[] = {
        "id",
        "k.dst",
        "sweep_id",
        "w.dst",
        "scenario_id",
        "s.dst",
        "parent_run",
        "(SELECT p.dst FROM temp.run_map p WHERE p.src = t.fl_in AND p.id = t.parent_run)",
        NULL};
    static const char *const child_map[] = {"run_id", "k.dst", NULL};
    int rc = fl_merge_run(m,
                          "CREATE TEMP TABLE run_map(src INTEGER, id INTEGER, dst INTEGER,"
                          " PRIMARY KEY (src, id)) WITHOUT ROWID;"
                          "INSERT INTO temp.run_map SELECT src, id, (SELECT coalesce(max(id), 0)"
                          " FROM main.runs) + row_number() OVER (ORDER BY src, id)"
                          " FROM temp.run_key WHERE NOT dup;",
                          "merge: runs");
    if (rc == 0)
        rc = fl_merge_run_owned(
            m,
            fl_merge_copy_sql(m->h, "runs", "main.runs", NULL, run_map,
                              "FROM temp.m_runs t JOIN temp.run_map k ON k.src = t.fl_in AND"
                              " k.id = t.id JOIN temp.scen_map s ON s.src = t.fl_in AND s.id ="
                              " t.scenario_id LEFT JOIN temp.sweep_map w ON w.src = t.fl_in"
                              " AND w.id = t.sweep_id ORDER BY k.dst"),
            "merge: runs");
    if (rc == 0)
        m->st->runs = (uint64_t)sqlite3_changes(m->h);
    for (size_t i = 0; rc == 0 && i < NCHILD; i++) {
        char *tail = sqlite3_mprintf("FROM temp.\"m_%w\" t JOIN temp.run_map k ON k.src = t.fl_in"
                                     " AND k.id = t.run_id",
                                     child_tables[i]);
        char *dst = sqlite3_mprintf("main.\"%w\"", child_tables[i]);
        char *sql = tail && dst
                        ? fl_merge_copy_sql(m->h, child_tables[i], dst, NULL, child_map, tail)
                        : NULL;
        rc = fl_merge_run(m, sql, child_tables[i]);
        if (rc == 0)
            m->st->rows += (uint64_t)sqlite3_changes(m->h);
        sqlite3_free(sql);
        sqlite3_free(dst);
        sqlite3_free(tail);
    }
    return rc;
}

static int write_out(merge *m)
{
    int rc = fl_merge_run(m, "BEGIN IMMEDIATE", "merge");
    if (rc)
        return rc;
    rc = map_scenarios(m);
    if (rc == 0)
        rc = check_orphans(m);
    if (rc == 0)
        rc = find_duplicates(m);
    if (rc == 0)
        rc = map_sweeps(m);
    if (rc == 0)
        rc = copy_runs(m);
    if (rc == 0)
        rc = copy_shrinks(m);
    if (rc == 0)
        rc = fl_merge_run(m, "COMMIT", "merge: commit");
    if (rc) {
        sqlite3_exec(m->h, "ROLLBACK", NULL, NULL, NULL);
        /* The counts describe what would have been written: keep only the refusal's. */
        uint64_t dup = m->st->duplicates;
        memset(m->st, 0, sizeof *m->st);
        m->st->duplicates = rc == FL_EINVAL ? dup : 0;
    }
    return rc;
}

int fl_db_merge(fl_db *out, const char *const *in, size_t nin, int flags, fl_db_merge_stats *st,
                char *err, size_t cap)
{
    merge m = {.out = out,
               .h = fl_db_sqlite(out),
               .in = in,
               .nin = nin,
               .flags = flags,
               .st = st,
               .err = err,
               .cap = cap};
    memset(st, 0, sizeof *st);
    if (nin == 0 || nin > 1000000) {
        fl_merge_set_err(&m, "merge: between 1 and 1000000 input databases");
        return FL_EINVAL;
    }
    if (fl_db_readonly(out)) {
        fl_merge_set_err(&m, "%s: opened read-only", fl_db_path(out));
        return FL_EINVAL;
    }
    int rc = check_tables(&m);
    for (size_t i = 0; rc == 0 && i < nin; i++)
        rc = fl_merge_check_input(&m, in[i]);
    if (rc)
        return rc;
    drop_work_tables(&m);
    rc = create_staging(&m);
    for (size_t i = 0; rc == 0 && i < nin; i++)
        rc = fl_merge_stage_input(&m, (int)i + 1);
    if (rc == 0)
        rc = write_out(&m);
    drop_work_tables(&m);
    return rc;
}

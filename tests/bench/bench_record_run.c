/*
 * bench_record_run.c -- recording a real run, end to end, against the ceiling.
 *
 * 1. Run the echo protocol (5 nodes) with recording `all` into a fresh database and
 *    time the whole run: the engine, the record stream, the JSON snapshots and the inserts.
 * 2. Copy exactly the rows that run wrote (events, messages, snapshots, logs) into
 *    memory, and time inserting them into a second fresh database of the same schema
 *    with one prepared statement per table in one transaction: the bare loop.
 * The target: the recorded run writes rows at >= 50% of the bare loop's rate.
 * Also prints bytes per step.  Median of 5 rounds.  Then the same for a 30 s raft-chaos
 * run (seed 3), recorded in process through fl_run: a long state whose changes are
 * stored as edits (core/statediff.h), the case recording must keep cheap.
 *
 * usage: bench_record_run [SIM_SECONDS]   (default 60, the echo run's length)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/world.h"
#include "sim/protocols/registry.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "storage/db.h"
#include "storage/recorder.h"

extern const struct fl_protocol fl_proto_echo;

static const char *const tables[] = {"events", "messages", "snapshots", "logs"};
#define NTABLES 4

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_record_run: %s: %s\n", what, why);
    exit(1);
}

static fl_db *fresh(const char *path)
{
    char err[512], p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    fl_db *db;
    if (fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err))
        die(path, err);
    return db;
}

/* Run echo recorded into db; returns the wall seconds and the step count. */
static double recorded_run(fl_db *db, int64_t sim_ns, uint64_t *steps)
{
    char err[512];
    int64_t sid;
    if (fl_db_scenario_id(db, "bench", "{\"bench\":1}", &sid, err, sizeof err))
        die("scenario", err);
    fl_world_config cfg = {.seed = 1,
                           .nodes = 5,
                           .protocol = &fl_proto_echo,
                           .latency = {1000000, 10000000},
                           .disk_sync = {1000000, 5000000},
                           .until_ns = sim_ns,
                           .max_steps = UINT64_MAX};
    double t0 = now_s();
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    fl_recorder *rec = NULL;
    fl_run_meta meta = {.scenario_id = sid, .origin = FL_ORIGIN_RUN};
    if (!w || fl_recorder_begin(db, &meta, FL_RECORD_ALL, &rec, err, sizeof err))
        die("begin", err);
    fl_sink k;
    fl_recorder_sink(rec, &k);
    fl_stream_add(fl_world_stream(w), &k);
    fl_record x = {.kind = FL_REC_RUN_BEGIN};
    x.u.begin.seed = 1;
    fl_stream_emit(fl_world_stream(w), &x);
    fl_world_run(w);
    fl_run_result res = {.outcome = fl_world_outcome(w),
                         .fail_step = -1,
                         .fail_time_ns = -1,
                         .steps = fl_world_steps(w),
                         .sim_time_ns = fl_world_now(w),
                         .digest = "0000000000000000"};
    int64_t run_id;
    x = (fl_record){.kind = FL_REC_RUN_END};
    x.u.end = &res;
    fl_stream_emit(fl_world_stream(w), &x);
    if (fl_recorder_end(rec, &run_id, err, sizeof err))
        die("end", err);
    fl_recorder_free(rec);
    *steps = fl_world_steps(w);
    fl_world_free(w);
    return now_s() - t0;
}

/* raft-chaos seed 3 recorded into db through fl_run; returns the wall seconds. */
static double recorded_raft(fl_db *db, int64_t sim_ns, uint64_t *steps)
{
    (void)sim_ns;
    char err[512], path[1024];
    const char *here = __FILE__, *cut = strstr(here, "tests/bench/");
    snprintf(path, sizeof path, "%.*ssim/scenarios/raft-chaos.json", cut ? (int)(cut - here) : 0,
             here);
    fl_scenario sc;
    if (fl_scenario_load(&sc, path, NULL, 0, err, sizeof err))
        die(path, err);
    int64_t sid;
    if (fl_db_scenario_id(db, "bench", "{\"bench\":2}", &sid, err, sizeof err))
        die("scenario", err);
    double t0 = now_s();
    fl_recorder *rec = NULL;
    fl_run_meta meta = {.scenario_id = sid, .origin = FL_ORIGIN_RUN};
    if (fl_recorder_begin(db, &meta, FL_RECORD_ALL, &rec, err, sizeof err))
        die("begin", err);
    fl_sink k;
    fl_recorder_sink(rec, &k);
    fl_run_job job = {
        .sc = &sc, .protocol = fl_registry_find("raft"), .seed = 3, .sinks = &k, .nsinks = 1};
    fl_run_result res;
    if (fl_run(&job, &res, err, sizeof err))
        die("run", err);
    int64_t run_id;
    if (fl_recorder_end(rec, &run_id, err, sizeof err))
        die("end", err);
    fl_recorder_free(rec);
    *steps = res.steps;
    fl_scenario_close(&sc);
    return now_s() - t0;
}

/* Every row of `table` as sqlite3_value copies, ncols per row. */
typedef struct rows {
    sqlite3_value **v;
    size_t n, ncols;
} rows;

static void load_rows(sqlite3 *h, const char *table, rows *r)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL))
        die(table, sqlite3_errmsg(h));
    r->ncols = (size_t)sqlite3_column_count(st);
    size_t cap = 0;
    r->n = 0;
    r->v = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((r->n + 1) * r->ncols > cap) {
            cap = cap ? cap * 2 : 4096 * r->ncols;
            r->v = realloc(r->v, cap * sizeof *r->v);
        }
        for (size_t c = 0; c < r->ncols; c++)
            r->v[r->n * r->ncols + c] = sqlite3_value_dup(sqlite3_column_value(st, (int)c));
        r->n++;
    }
    sqlite3_finalize(st);
}

static double bare_insert(sqlite3 *h, rows *all)
{
    double t0 = now_s();
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    for (int t = 0; t < NTABLES; t++) {
        char sql[256];
        int n = snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (", tables[t]);
        for (size_t c = 0; c < all[t].ncols; c++)
            n += snprintf(sql + n, sizeof sql - (size_t)n, c ? ",?" : "?");
        snprintf(sql + n, sizeof sql - (size_t)n, ")");
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL))
            die(sql, sqlite3_errmsg(h));
        for (size_t i = 0; i < all[t].n; i++) {
            for (size_t c = 0; c < all[t].ncols; c++)
                sqlite3_bind_value(st, (int)c + 1, all[t].v[i * all[t].ncols + c]);
            if (sqlite3_step(st) != SQLITE_DONE)
                die(tables[t], sqlite3_errmsg(h));
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef double (*record_fn)(fl_db *db, int64_t sim_ns, uint64_t *steps);

static void measure(const char *what, record_fn fn, int64_t sim_ns, const char *a, const char *b)
{
    enum { ROUNDS = 5 };
    double rec_rate[ROUNDS], bare_rate[ROUNDS], steps_rate[ROUNDS];
    size_t total = 0;
    uint64_t steps = 0;
    long bytes = 0;
    for (int r = 0; r < ROUNDS; r++) {
        fl_db *db = fresh(a);
        double rec_s = fn(db, sim_ns, &steps);
        rows all[NTABLES];
        total = 0;
        for (int t = 0; t < NTABLES; t++) {
            load_rows(fl_db_sqlite(db), tables[t], &all[t]);
            total += all[t].n;
        }
        fl_db_close(db);
        struct stat sb;
        bytes = stat(a, &sb) == 0 ? (long)sb.st_size : 0;
        fl_db *bare = fresh(b);
        double bare_s = bare_insert(fl_db_sqlite(bare), all);
        fl_db_close(bare);
        for (int t = 0; t < NTABLES; t++) {
            for (size_t i = 0; i < all[t].n * all[t].ncols; i++)
                sqlite3_value_free(all[t].v[i]);
            free(all[t].v);
        }
        rec_rate[r] = (double)total / rec_s;
        bare_rate[r] = (double)total / bare_s;
        steps_rate[r] = (double)steps / rec_s;
    }
    qsort(rec_rate, ROUNDS, sizeof(double), cmp_double);
    qsort(bare_rate, ROUNDS, sizeof(double), cmp_double);
    qsort(steps_rate, ROUNDS, sizeof(double), cmp_double);
    printf("bench_record_run: %s, recording all, median of %d\n", what, ROUNDS);
    printf("  steps %llu, rows %zu (%.2f rows/step), %.0f bytes/step in the database\n",
           (unsigned long long)steps, total, (double)total / (double)steps,
           (double)bytes / (double)steps);
    printf("  recorded run: %.0f steps/s, %.0f rows/s (engine + record stream + inserts)\n",
           steps_rate[ROUNDS / 2], rec_rate[ROUNDS / 2]);
    printf("  bare loop:    %.0f rows/s (the same rows, prepared inserts, one transaction)\n",
           bare_rate[ROUNDS / 2]);
    printf("  ratio %.2f (target >= 0.50)\n", rec_rate[ROUNDS / 2] / bare_rate[ROUNDS / 2]);
}

int main(int argc, char **argv)
{
    int64_t sim_ns = (argc > 1 ? atoll(argv[1]) : 60) * 1000000000LL;
    char dir[] = "/tmp/fl-bench-XXXXXX", a[256], b[256], what[64];
    if (!mkdtemp(dir))
        die("mkdtemp", "failed");
    snprintf(a, sizeof a, "%s/recorded.db", dir);
    snprintf(b, sizeof b, "%s/bare.db", dir);
    snprintf(what, sizeof what, "echo, 5 nodes, %lld simulated s",
             (long long)(sim_ns / 1000000000LL));
    measure(what, recorded_run, sim_ns, a, b);
    measure("raft-chaos seed 3, 30 simulated s", recorded_raft, 0, a, b);
    unlink(a);
    unlink(b);
    snprintf(a, sizeof a, "rm -rf %s", dir);
    return system(a) == 0 ? 0 : 1;
}

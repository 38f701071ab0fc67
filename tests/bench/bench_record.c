/*
 * bench_record.c -- what recording a run costs: the recorder (through its hooks) against
 * a bare loop of prepared-statement inserts of the same rows into the same schema with
 * the same SQLite, each into a fresh database in one transaction.
 *
 *   bench_record [STEPS] [DIR]     (default 200000 steps, a fresh temp dir)
 *
 * Each step of the synthetic run has one event, sends one message (its fate comes two
 * steps later, as a delivery would), changes one node's state (a ~120-byte snapshot)
 * and, every other step, logs a line.  Prints rows/s for both, their ratio (target:
 * recorder >= 0.5 of the bare loop) and the database's bytes per step.  Wall-clock time
 * is fine here: this is a benchmark, not a run.  Exits 1 if the ratio misses the target.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/world.h"
#include "storage/db.h"
#include "storage/recorder.h"

#define TARGET_RATIO 0.5
#define ROUNDS 3

/* One synthetic step: everything either side inserts for it. */
typedef struct syn {
    fl_rec_step info;
    fl_msg sent, settled; /* settled: the message whose fate is known now (id 0: none) */
    char desc[96], settled_desc[96], state[160], log[64];
    int node, has_log;
} syn;

static void describe(uint64_t id, char *buf, size_t cap)
{
    snprintf(buf, cap, "MsgApp term=%" PRIu64 " index=%" PRIu64 " commit=%" PRIu64 " entries=1",
             id / 1000, id, id - 1);
}

static void make_step(uint64_t s, syn *y)
{
    y->node = (int)(s % 5) + 1;
    y->info = (fl_rec_step){.step = s,
                            .time_ns = (int64_t)s * 997,
                            .kind = FL_STEP_DELIVER,
                            .node = y->node,
                            .peer = (int)((s + 3) % 5) + 1,
                            .msg_id = s,
                            .detail = "",
                            .chain = s * UINT64_C(0x9e3779b97f4a7c15)};
    y->sent = (fl_msg){.id = s + 1,
                       .src = y->node,
                       .dst = y->node % 5 + 1,
                       .sent_ns = (int64_t)s * 997,
                       .deliver_ns = (int64_t)s * 997 + 3000,
                       .sent_step = s};
    describe(s + 1, y->desc, sizeof y->desc);
    y->settled = (fl_msg){0};
    if (s >= 2) {
        y->settled = (fl_msg){.id = s - 1,
                              .src = (int)((s - 2) % 5) + 1,
                              .dst = 1,
                              .sent_ns = (int64_t)(s - 2) * 997,
                              .sent_step = s - 2,
                              .deliver_ns = (int64_t)(s - 2) * 997 + 3000,
                              .fate = FL_FATE_DELIVERED};
        describe(s - 1, y->settled_desc, sizeof y->settled_desc);
    }
    snprintf(y->state, sizeof y->state,
             "{\"role\":\"follower\",\"term\":%" PRIu64 ",\"vote\":1,\"commit\":%" PRIu64
             ",\"applied\":%" PRIu64 ",\"last\":%" PRIu64 ",\"lead\":2}",
             s / 1000, s, s, s + 1);
    y->has_log = s % 2 == 0;
    snprintf(y->log, sizeof y->log, "appended entry %" PRIu64, s);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static fl_db *fresh_db(const char *dir, const char *name, char *path, size_t cap)
{
    char err[256], p[520]; /* room for path[512] + "-wal": -O3 warns otherwise */
    fl_db *db;
    snprintf(path, cap, "%s/%s", dir, name);
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    if (fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err) != 0) {
        fprintf(stderr, "bench_record: %s\n", err);
        exit(2);
    }
    return db;
}

/* ---- the recorder ---- */

/* Hand one record to the recorder's sink, as a run's stream does. */
static void give(const fl_sink *k, const fl_record *x)
{
    if (k->wants & FL_REC_BIT(x->kind))
        k->consume(k->ctx, x);
}

static void give_msg(const fl_sink *k, int kind, const fl_msg *m, uint64_t step, const char *desc)
{
    fl_record x = {.kind = kind};
    x.u.msg = (fl_rec_msg){.id = m->id,
                           .src = m->src,
                           .dst = m->dst,
                           .sent_step = m->sent_step,
                           .sent_ns = m->sent_ns,
                           .deliver_ns = m->deliver_ns,
                           .fate = m->fate,
                           .fate_step = step,
                           .desc = desc};
    give(k, &x);
}

static uint64_t run_recorder(fl_db *db, uint64_t steps)
{
    char err[256];
    fl_recorder *r;
    fl_sink k;
    int64_t sc = 0, id;
    fl_run_meta meta = {.origin = FL_ORIGIN_RUN};
    syn y;
    if (fl_db_scenario_id(db, "bench", "{}", &sc, err, sizeof err) != 0 ||
        (meta.scenario_id = sc, fl_recorder_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err)) !=
            0) {
        fprintf(stderr, "bench_record: %s\n", err);
        exit(2);
    }
    fl_recorder_sink(r, &k);
    fl_record x = {.kind = FL_REC_RUN_BEGIN};
    x.u.begin.seed = 1;
    give(&k, &x);
    for (uint64_t s = 0; s < steps; s++) {
        make_step(s, &y);
        give_msg(&k, FL_REC_SEND, &y.sent, s, y.desc);
        if (y.settled.id != 0)
            give_msg(&k, FL_REC_FATE, &y.settled, s, y.settled_desc);
        if (y.has_log) {
            x = (fl_record){.kind = FL_REC_LOG};
            x.u.log = (fl_rec_log){s, y.info.time_ns, y.node, FL_LOG_INFO, y.log};
            give(&k, &x);
        }
        x = (fl_record){.kind = FL_REC_STATE};
        x.u.state = (fl_rec_state){s, y.info.time_ns, y.node, y.state, y.state, NULL, 1};
        give(&k, &x);
        x = (fl_record){.kind = FL_REC_STEP_END};
        x.u.step = y.info;
        give(&k, &x);
    }
    uint64_t rows = fl_recorder_rows(r);
    fl_run_result res = {.outcome = FL_OUTCOME_OK,
                         .fail_step = -1,
                         .fail_time_ns = -1,
                         .steps = steps,
                         .digest = "0000000000000000"};
    x = (fl_record){.kind = FL_REC_RUN_END};
    x.u.end = &res;
    give(&k, &x);
    if (fl_recorder_end(r, &id, err, sizeof err) != 0) {
        fprintf(stderr, "bench_record: %s\n", err);
        exit(2);
    }
    fl_recorder_free(r);
    return rows;
}

/* ---- the bare loop: the same rows, bound and stepped by hand ---- */

static const char *const bare_sql[4] = {
    "INSERT INTO events(run_id, step, time_ns, kind, node, peer, msg_id, detail, chain)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO messages(run_id, msg_id, src, dst, type, sent_step, sent_ns, deliver_ns,"
    " fate, fate_step, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO snapshots(run_id, step, node, state) VALUES (?, ?, ?, ?)",
    "INSERT INTO logs(run_id, step, seq, node, level, text) VALUES (?, ?, ?, ?, ?, ?)",
};

static void step_or_die(sqlite3 *h, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "bench_record: bare insert: %s\n", sqlite3_errmsg(h));
        exit(2);
    }
    sqlite3_reset(st);
}

static void bare_step(sqlite3 *h, sqlite3_stmt **st, const syn *y, uint64_t *log_seq)
{
    const fl_msg *m = &y->settled;
    if (m->id != 0) {
        sqlite3_bind_int64(st[1], 1, 1);
        sqlite3_bind_int64(st[1], 2, (int64_t)m->id);
        sqlite3_bind_int(st[1], 3, m->src);
        sqlite3_bind_int(st[1], 4, m->dst);
        sqlite3_bind_text(st[1], 5, "MsgApp", 6, SQLITE_STATIC);
        sqlite3_bind_int64(st[1], 6, (int64_t)m->sent_step);
        sqlite3_bind_int64(st[1], 7, m->sent_ns);
        sqlite3_bind_int64(st[1], 8, m->deliver_ns);
        sqlite3_bind_text(st[1], 9, "delivered", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st[1], 10, (int64_t)y->info.step);
        sqlite3_bind_text(st[1], 11, y->settled_desc, -1, SQLITE_STATIC);
        step_or_die(h, st[1]);
    }
    if (y->has_log) {
        sqlite3_bind_int64(st[3], 1, 1);
        sqlite3_bind_int64(st[3], 2, (int64_t)y->info.step);
        sqlite3_bind_int64(st[3], 3, (int64_t)(*log_seq)++);
        sqlite3_bind_int(st[3], 4, y->node);
        sqlite3_bind_text(st[3], 5, "info", 4, SQLITE_STATIC);
        sqlite3_bind_text(st[3], 6, y->log, -1, SQLITE_STATIC);
        step_or_die(h, st[3]);
    }
    sqlite3_bind_int64(st[2], 1, 1);
    sqlite3_bind_int64(st[2], 2, (int64_t)y->info.step);
    sqlite3_bind_int(st[2], 3, y->node);
    sqlite3_bind_text(st[2], 4, y->state, -1, SQLITE_STATIC);
    step_or_die(h, st[2]);
    sqlite3_bind_int64(st[0], 1, 1);
    sqlite3_bind_int64(st[0], 2, (int64_t)y->info.step);
    sqlite3_bind_int64(st[0], 3, y->info.time_ns);
    sqlite3_bind_text(st[0], 4, "deliver", 7, SQLITE_STATIC);
    sqlite3_bind_int(st[0], 5, y->info.node);
    sqlite3_bind_int(st[0], 6, y->info.peer);
    sqlite3_bind_int64(st[0], 7, (int64_t)y->info.msg_id);
    sqlite3_bind_null(st[0], 8);
    sqlite3_bind_int64(st[0], 9, (int64_t)y->info.chain);
    step_or_die(h, st[0]);
}

static uint64_t run_bare(fl_db *db, uint64_t steps)
{
    sqlite3 *h = fl_db_sqlite(db);
    sqlite3_stmt *st[4];
    uint64_t log_seq = 0;
    syn y;
    sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; i < 4; i++)
        sqlite3_prepare_v3(h, bare_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL);
    for (uint64_t s = 0; s < steps; s++) {
        make_step(s, &y);
        bare_step(h, st, &y, &log_seq);
    }
    for (int i = 0; i < 4; i++)
        sqlite3_finalize(st[i]);
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    /* The recorder's rows: the two still-in-flight messages are not settled here. */
    return steps + (steps - 2) + steps + (steps + 1) / 2;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    uint64_t steps = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    char tmpl[] = "/tmp/fl_bench_record_XXXXXX", path[512];
    const char *dir = argc > 2 ? argv[2] : mkdtemp(tmpl);
    double best_rec = 0, best_bare = 0;
    long bytes = 0;
    if (steps < 10 || dir == NULL) {
        fprintf(stderr, "usage: bench_record [STEPS >= 10] [DIR]\n");
        return 2;
    }
    for (int round = 0; round < ROUNDS; round++) {
        fl_db *db = fresh_db(dir, "bare.db", path, sizeof path);
        double t0 = now_s();
        uint64_t rows = run_bare(db, steps);
        double rate = (double)rows / (now_s() - t0);
        best_bare = rate > best_bare ? rate : best_bare;
        fl_db_close(db);
        unlink(path);
        db = fresh_db(dir, "rec.db", path, sizeof path);
        t0 = now_s();
        rows = run_recorder(db, steps);
        rate = (double)rows / (now_s() - t0);
        best_rec = rate > best_rec ? rate : best_rec;
        fl_db_close(db); /* checkpoints the WAL into the file */
        bytes = file_size(path);
        unlink(path);
    }
    if (argc <= 2)
        rmdir(dir);
    double ratio = best_rec / best_bare;
    printf("steps:          %" PRIu64 " (best of %d rounds, SQLite %s)\n", steps, ROUNDS,
           sqlite3_libversion());
    printf("bare loop:      %.0f rows/s\n", best_bare);
    printf("recorder:       %.0f rows/s\n", best_rec);
    printf("ratio:          %.2f (target >= %.2f)\n", ratio, TARGET_RATIO);
    printf("bytes per step: %.1f\n", (double)bytes / (double)steps);
    return ratio >= TARGET_RATIO ? 0 : 1;
}

/*
 * recorder.c -- one run into the database (see recorder.h).
 *
 * Hot path: every step of a FL_RECORD_ALL run gives a step_end record, and most send a
 * message or two, so the sink binds values to statements prepared once (persistent)
 * and steps them inside the run's single transaction: no SQL text, no allocation per
 * row.  A message's row is written from its fate record, which carries every column.
 *
 * Invariants: r->rc != 0 means some insert failed; from then on nothing more is
 * written, and fl_rec_end rolls back.  r->in_txn says whether we own an open
 * transaction on the connection.  With FL_RECORD_ALL, r->run_id is reserved at
 * begin (max(id) + 1 under the write lock, which nobody else can take before we
 * commit), because the events rows need it before the runs row exists.
 *
 * Batches (fl_db_batch_begin): a recorder begun inside the caller's transaction joins
 * it -- no BEGIN, COMMIT or ROLLBACK of its own; on an error the caller rolls the whole
 * batch back.  Several full recordings may then be open at once, so each must replace
 * a pending row (its id is the run's): two reserved max(id) + 1 would collide.
 */
#include "storage/recorder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/digest.h"
#include "core/error.h"

#ifndef FL_VERSION
#define FL_VERSION "unknown"
#endif

typedef struct rec_fault {
    int64_t seq, at_ns;
    char *kind, *spec;
    int reached, took_effect;
} rec_fault;

typedef struct rec_metric {
    char *name;
    int64_t value;
} rec_metric;

enum { ST_EVENT, ST_MESSAGE, ST_SNAPSHOT, ST_LOG, ST_HIST_INVOKE, ST_HIST_DONE, ST_COUNT };

static const char *const insert_sql[ST_COUNT] = {
    "INSERT INTO events(run_id, step, time_ns, kind, node, peer, msg_id, detail, chain)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO messages(run_id, msg_id, src, dst, type, sent_step, sent_ns, deliver_ns,"
    " fate, fate_step, body, nth, copy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO snapshots(run_id, step, node, state, parts, keyframe) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO logs(run_id, step, seq, node, level, text) VALUES (?, ?, ?, ?, ?, ?)",
    /* a client operation: its row at the invocation, completed by the completion */
    "INSERT INTO history(run_id, op_id, process, type, f, key, value, node, invoke_step,"
    " invoke_ns) VALUES (?, ?, ?, 'invoke', ?, ?, ?, ?, ?, ?)",
    "UPDATE history SET type = ?3, result = ?4, complete_step = ?5, complete_ns = ?6"
    " WHERE run_id = ?1 AND op_id = ?2",
};

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

/* The descriptions of the last fates, by message id: a delivery step's detail is
 * "delivered <description>" (or "dropped:down ..."), and the description is already in
 * the message's row, so the events row keeps the first word only. */
#define FATE_RING 16
typedef struct rec_fate {
    uint64_t id;
    char desc[256];
} rec_fate;

struct fl_recorder {
    fl_db *db;
    sqlite3 *h;
    int level;
    int in_txn;
    int batched; /* inside the caller's transaction (a batch) */
    int ended;
    int64_t run_id;
    fl_run_meta meta;
    uint64_t seed;
    char *schedule_json; /* from the run_begin record */
    int have_result;
    fl_run_result res; /* from the run_end record */
    sqlite3_stmt *st[ST_COUNT];
    uint64_t log_seq, rows;
    rec_fate fates[FATE_RING];
    unsigned nfates;
    rec_fault *faults;
    size_t nfaults, faults_cap;
    rec_metric *metrics;
    size_t nmetrics, metrics_cap;
    int rc; /* first error (FL_E code), 0 if none */
    char err[256];
};

/* Remember the first failure; hooks have no way to report it now. */
static void fail(fl_recorder *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(fl_recorder *r, int code, const char *fmt, ...)
{
    if (r->rc != 0)
        return;
    r->rc = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

static void fail_sqlite(fl_recorder *r, int rc, const char *what)
{
    if (r->rc == 0)
        r->rc = fl_db_error(r->db, rc, what, r->err, sizeof r->err);
}

/* Step an insert whose values are bound, then reset it for the next row. */
static void run_insert(fl_recorder *r, int which, const char *what)
{
    sqlite3_stmt *st = r->st[which];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        fail_sqlite(r, rc, what);
    else
        r->rows++;
}

static void bind_opt_int(sqlite3_stmt *st, int idx, int64_t v, int64_t none)
{
    if (v == none)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, v);
}

static void bind_opt_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s == NULL || s[0] == '\0')
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

/* ---- the sink ---- */

/* The length of s's detail to store: a delivery's detail without the description of the
 * message it names (docs/sql.md, events.detail), else the whole. */
static size_t detail_len(const fl_recorder *r, const fl_rec_step *s)
{
    size_t n = s->detail ? strlen(s->detail) : 0;
    if (s->kind != FL_STEP_DELIVER || s->msg_id == 0 || n == 0)
        return n;
    const char *sp = strchr(s->detail, ' ');
    for (unsigned i = 0; sp && i < FATE_RING && i < r->nfates; i++) {
        const rec_fate *f = &r->fates[(r->nfates - 1 - i) % FATE_RING];
        if (f->id == s->msg_id)
            return f->desc[0] && strcmp(sp + 1, f->desc) == 0 ? (size_t)(sp - s->detail) : n;
    }
    return n;
}

static void on_step_end(fl_recorder *r, const fl_rec_step *s)
{
    sqlite3_stmt *st = r->st[ST_EVENT];
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int64(st, 2, (int64_t)s->step);
    sqlite3_bind_int64(st, 3, s->time_ns);
    sqlite3_bind_text(st, 4, fl_step_kind_name(s->kind), -1, SQLITE_STATIC);
    bind_opt_int(st, 5, s->node, 0);
    bind_opt_int(st, 6, s->peer, 0);
    bind_opt_int(st, 7, (int64_t)s->msg_id, 0);
    size_t dlen = detail_len(r, s);
    if (dlen > 0)
        sqlite3_bind_text(st, 8, s->detail, (int)dlen, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_int64(st, 9, (int64_t)s->chain);
    run_insert(r, ST_EVENT, "events");
}

static void on_fate(fl_recorder *r, const fl_rec_msg *m)
{
    sqlite3_stmt *st = r->st[ST_MESSAGE];
    const char *desc = m->desc;
    size_t type_len = desc != NULL ? strcspn(desc, " ") : 0;
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int64(st, 2, (int64_t)m->id);
    sqlite3_bind_int(st, 3, m->src);
    sqlite3_bind_int(st, 4, m->dst);
    if (type_len > 0)
        sqlite3_bind_text(st, 5, desc, (int)type_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, (int64_t)m->sent_step);
    sqlite3_bind_int64(st, 7, m->sent_ns);
    sqlite3_bind_int64(st, 8, m->deliver_ns);
    sqlite3_bind_text(st, 9, fl_fate_name(m->fate), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (int64_t)m->fate_step);
    bind_opt_text(st, 11, desc);
    sqlite3_bind_int64(st, 12, m->nth);
    sqlite3_bind_int(st, 13, m->copy);
    run_insert(r, ST_MESSAGE, "messages");
    rec_fate *f = &r->fates[r->nfates++ % FATE_RING];
    f->id = m->id;
    snprintf(f->desc, sizeof f->desc, "%s", desc ? desc : "");
}

static void on_log(fl_recorder *r, const fl_rec_log *l)
{
    static const char *const level_names[] = {"debug", "info", "warn"};
    sqlite3_stmt *st = r->st[ST_LOG];
    const char *lname = l->level >= 0 && l->level <= 2 ? level_names[l->level] : "other";
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int64(st, 2, (int64_t)l->step);
    sqlite3_bind_int64(st, 3, (int64_t)r->log_seq++);
    bind_opt_int(st, 4, l->node, 0);
    sqlite3_bind_text(st, 5, lname, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, l->text != NULL ? l->text : "", -1, SQLITE_STATIC);
    run_insert(r, ST_LOG, "logs");
}

static void on_state(fl_recorder *r, const fl_rec_state *s)
{
    sqlite3_stmt *st = r->st[ST_SNAPSHOT];
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int64(st, 2, (int64_t)s->step);
    sqlite3_bind_int(st, 3, s->node);
    sqlite3_bind_text(st, 4, s->scalars != NULL ? s->scalars : "null", -1, SQLITE_STATIC);
    if (s->parts != NULL)
        sqlite3_bind_text(st, 5, s->parts, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int(st, 6, s->keyframe != 0 || s->scalars == NULL);
    run_insert(r, ST_SNAPSHOT, "snapshots");
}

static void on_client(fl_recorder *r, const fl_rec_client *c)
{
    int invoke = c->type == FL_CEV_INVOKE;
    sqlite3_stmt *st = r->st[invoke ? ST_HIST_INVOKE : ST_HIST_DONE];
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int64(st, 2, (int64_t)c->op_id);
    if (invoke) {
        sqlite3_bind_int(st, 3, c->process);
        sqlite3_bind_text(st, 4, c->f, -1, SQLITE_STATIC);
        bind_opt_text(st, 5, c->key);
        bind_opt_text(st, 6, c->value);
        bind_opt_int(st, 7, c->node, 0);
        sqlite3_bind_int64(st, 8, (int64_t)c->invoke_step);
        sqlite3_bind_int64(st, 9, c->invoke_ns);
    } else {
        sqlite3_bind_text(st, 3, fl_client_event_name(c->type), -1, SQLITE_STATIC);
        bind_opt_text(st, 4, c->result);
        sqlite3_bind_int64(st, 5, c->complete_step);
        sqlite3_bind_int64(st, 6, c->complete_ns);
    }
    run_insert(r, invoke ? ST_HIST_INVOKE : ST_HIST_DONE, "history");
}

static char *dup_str(const char *s);
static void keep_metric(fl_recorder *r, const char *name, int64_t value);
static void keep_fault(fl_recorder *r, const fl_rec_fault *f);

static void on_begin(fl_recorder *r, const fl_rec_run_begin *b)
{
    r->seed = b->seed;
    free(r->schedule_json);
    r->schedule_json = dup_str(b->schedule_json);
    if (b->schedule_json != NULL && r->schedule_json == NULL)
        fail(r, FL_ENOMEM, "record: out of memory");
}

static int consume(void *ctx, const fl_record *rec)
{
    fl_recorder *r = ctx;
    if (r->rc != 0)
        return r->rc;
    switch (rec->kind) {
    case FL_REC_RUN_BEGIN:
        on_begin(r, &rec->u.begin);
        break;
    case FL_REC_STEP_END:
        on_step_end(r, &rec->u.step);
        break;
    case FL_REC_FATE:
        on_fate(r, &rec->u.msg);
        break;
    case FL_REC_LOG:
        on_log(r, &rec->u.log);
        break;
    case FL_REC_STATE:
        on_state(r, &rec->u.state);
        break;
    case FL_REC_CLIENT:
        on_client(r, &rec->u.client);
        break;
    case FL_REC_FAULT:
        keep_fault(r, &rec->u.fault);
        break;
    case FL_REC_METRIC:
        keep_metric(r, rec->u.metric.name, rec->u.metric.value);
        break;
    case FL_REC_RUN_END:
        r->res = *rec->u.end;
        r->have_result = 1;
        break;
    default:
        break;
    }
    return r->rc;
}

void fl_recorder_sink(fl_recorder *r, fl_sink *out)
{
    uint32_t wants = FL_REC_BIT(FL_REC_RUN_BEGIN) | FL_REC_BIT(FL_REC_FAULT) |
                     FL_REC_BIT(FL_REC_METRIC) | FL_REC_BIT(FL_REC_RUN_END);
    if (r->level == FL_RECORD_ALL)
        wants |= FL_REC_BIT(FL_REC_STEP_END) | FL_REC_BIT(FL_REC_FATE) | FL_REC_BIT(FL_REC_LOG) |
                 FL_REC_BIT(FL_REC_STATE) | FL_REC_BIT(FL_REC_CLIENT) | FL_REC_WANT_DESC;
    *out = (fl_sink){.name = "recorder", .wants = wants, .ctx = r, .consume = consume};
}

/* ---- faults and metrics: kept in memory, written at the end ---- */

const char *fl_origin_name(int origin)
{
    static const char *const names[] = {"run", "sweep", "replay", "shrink"};
    return origin >= 0 && origin < 4 ? names[origin] : "run";
}

static char *dup_str(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d != NULL ? memcpy(d, s, n) : NULL;
}

/* Make room for one more element of size `size` in *arr. */
static int reserve(void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap == 0 ? 16 : *cap * 2;
    void *p = realloc(*arr, ncap * size);
    if (p == NULL)
        return FL_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Metric records come once per name (the run's registry is unique by name). */
static void keep_metric(fl_recorder *r, const char *name, int64_t value)
{
    if (name == NULL)
        return;
    char *copy = dup_str(name);
    if (copy == NULL ||
        reserve((void **)&r->metrics, r->nmetrics, &r->metrics_cap, sizeof *r->metrics) != 0) {
        free(copy);
        fail(r, FL_ENOMEM, "metrics: out of memory");
        return;
    }
    r->metrics[r->nmetrics++] = (rec_metric){copy, value};
}

static void keep_fault(fl_recorder *r, const fl_rec_fault *in)
{
    rec_fault f = {.seq = (int64_t)in->seq,
                   .at_ns = in->at_ns,
                   .kind = dup_str(in->kind != NULL ? in->kind : ""),
                   .spec = dup_str(in->spec),
                   .reached = in->reached != 0,
                   .took_effect = in->took_effect != 0};
    if (f.kind == NULL || (in->spec != NULL && f.spec == NULL) ||
        reserve((void **)&r->faults, r->nfaults, &r->faults_cap, sizeof *r->faults) != 0) {
        free(f.kind);
        free(f.spec);
        fail(r, FL_ENOMEM, "faults: out of memory");
        return;
    }
    r->faults[r->nfaults++] = f;
}

/* ---- begin / end ---- */

static int begin_txn(fl_recorder *r)
{
    if (r->batched)
        return 0;
    int rc = sqlite3_exec(r->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        fail_sqlite(r, rc, "record: begin");
        return r->rc;
    }
    r->in_txn = 1;
    return 0;
}

/* FL_RECORD_ALL: open the transaction, reserve the run id, prepare the inserts. */
static int begin_all(fl_recorder *r)
{
    sqlite3_stmt *st;
    /* A run's pages stay in memory until the commit: with SQLite's default 2 MB cache a
     * 30 s Raft run (about 2.5 MB) spilled pages to the WAL mid-run and wrote them again
     * at the commit. */
    sqlite3_exec(r->h, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
    if (begin_txn(r) != 0)
        return r->rc;
    int rc = sqlite3_prepare_v2(r->h, "SELECT coalesce(max(id), 0) + 1 FROM runs", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        r->run_id = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (r->meta.replaces > 0) {
        r->run_id = r->meta.replaces; /* the pending row's id stays the run's id */
        /* steps an earlier attempt left (killed mid-recording, its batch committed) */
        if (rc == SQLITE_OK && fl_db_run_drop_rows(r->db, r->run_id, 1, NULL, 0) != 0)
            rc = SQLITE_ERROR;
    }
    for (int i = 0; rc == SQLITE_OK && i < ST_COUNT; i++)
        rc =
            sqlite3_prepare_v3(r->h, insert_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i], NULL);
    if (rc != SQLITE_OK)
        fail_sqlite(r, rc, "record: prepare");
    return r->rc;
}

int fl_recorder_begin(fl_db *db, const fl_run_meta *meta, int level, fl_recorder **out, char *err,
                      size_t cap)
{
    *out = NULL;
    if (level != FL_RECORD_NONE && level != FL_RECORD_ALL) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "record: bad level %d", level);
        return FL_EINVAL;
    }
    if (fl_db_readonly(db)) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "record: %s is open read-only", fl_db_path(db));
        return FL_EINVAL;
    }
    fl_recorder *r = calloc(1, sizeof *r);
    if (r == NULL) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "record: out of memory");
        return FL_ENOMEM;
    }
    r->db = db;
    r->h = fl_db_sqlite(db);
    r->level = level;
    r->meta = *meta;
    r->batched = fl_db_in_batch(db);
    if (r->batched && level == FL_RECORD_ALL && meta->replaces <= 0)
        fail(r, FL_EINVAL, "record: a full recording in a batch must replace a pending row");
    if (level == FL_RECORD_ALL && r->rc == 0)
        begin_all(r);
    if (r->rc != 0) {
        int rc = r->rc;
        if (err != NULL && cap > 0)
            snprintf(err, cap, "%s", r->err);
        fl_recorder_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static void bind_run(sqlite3_stmt *st, const fl_recorder *r)
{
    const fl_run_result *res = &r->res;
    if (r->level == FL_RECORD_ALL)
        sqlite3_bind_int64(st, 1, r->run_id);
    else
        sqlite3_bind_null(st, 1); /* SQLite picks max(id) + 1 */
    bind_opt_int(st, 2, r->meta.sweep_id, 0);
    sqlite3_bind_int64(st, 3, r->meta.scenario_id);
    sqlite3_bind_int64(st, 4, (int64_t)r->seed);
    if (r->schedule_json != NULL)
        sqlite3_bind_text(st, 5, r->schedule_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, fl_outcome_name(res->outcome), -1, SQLITE_STATIC);
    bind_opt_text(st, 7, res->check);
    bind_opt_text(st, 8, res->detail);
    bind_opt_int(st, 9, res->fail_step, -1);
    bind_opt_int(st, 10, res->fail_time_ns, -1);
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
    bind_opt_int(st, 22, r->meta.parent_run, 0);
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

static int insert_run(fl_recorder *r)
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

static int insert_faults(fl_recorder *r)
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

static int insert_metrics(fl_recorder *r)
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

static void rollback(fl_recorder *r)
{
    if (r->in_txn)
        sqlite3_exec(r->h, "ROLLBACK", NULL, NULL, NULL);
    r->in_txn = 0;
}

int fl_recorder_end(fl_recorder *r, int64_t *run_id, char *err, size_t cap)
{
    int rc = SQLITE_OK;
    if (r->ended)
        fail(r, FL_EINVAL, "record: fl_recorder_end called twice");
    if (!r->have_result)
        fail(r, FL_EINTERNAL, "record: the run ended without its result");
    r->ended = 1;
    if (r->rc == 0 && !r->in_txn)
        begin_txn(r);
    if (r->rc == 0 && (rc = insert_run(r)) != SQLITE_OK)
        fail_sqlite(r, rc, "runs");
    if (r->rc == 0 && (rc = insert_faults(r)) != SQLITE_OK)
        fail_sqlite(r, rc, "faults");
    if (r->rc == 0 && (rc = insert_metrics(r)) != SQLITE_OK)
        fail_sqlite(r, rc, "metrics");
    if (r->rc == 0 && r->in_txn &&
        (rc = sqlite3_exec(r->h, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
        fail_sqlite(r, rc, "record: commit");
    if (r->rc != 0) {
        rollback(r);
        if (err != NULL && cap > 0)
            snprintf(err, cap, "%s", r->err);
        return r->rc;
    }
    r->in_txn = 0;
    if (run_id != NULL)
        *run_id = r->run_id;
    return 0;
}

void fl_recorder_free(fl_recorder *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    rollback(r);
    for (size_t i = 0; i < r->nfaults; i++) {
        free(r->faults[i].kind);
        free(r->faults[i].spec);
    }
    for (size_t i = 0; i < r->nmetrics; i++)
        free(r->metrics[i].name);
    free(r->faults);
    free(r->metrics);
    free(r->schedule_json);
    free(r);
}

uint64_t fl_recorder_rows(const fl_recorder *r)
{
    return r->rows;
}

int fl_recorder_error(const fl_recorder *r, char *err, size_t cap)
{
    if (r->rc != 0 && err != NULL && cap > 0)
        snprintf(err, cap, "%s", r->err);
    return r->rc;
}

/*
 * recorder.c -- one run into the database (see recorder.h).
 *
 * Hot path: every step of a FL_RECORD_ALL run gives a step_end record, and most send a
 * message or two, so the sink copies each row's values into its table's batch
 * (recorder_batch.h) and writes REC_BATCH_ROWS rows with one statement prepared once
 * (persistent), inside the run's single transaction: no SQL text, no allocation per
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

#include "storage/recorder_impl.h"

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

/* Step an insert whose values are bound, then reset it for the next row (history). */
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

/* A row of a batched table is complete. */
static void row_done(fl_recorder *r, int which, const char *what)
{
    int rc = fl_rec_row_done(&r->batch[which]);
    if (rc != SQLITE_OK)
        fail_sqlite(r, rc, what);
    else
        r->rows++;
}

/* Text or NULL when s is absent or empty. */
static void put_opt_text(rec_batch *b, const char *s)
{
    if (s == NULL || s[0] == '\0')
        fl_rec_put_null(b);
    else
        fl_rec_put_text(b, s, strlen(s));
}

static void on_step_end(fl_recorder *r, const fl_rec_step *s)
{
    rec_batch *b = &r->batch[ST_EVENT];
    fl_rec_put_int(b, r->run_id);
    fl_rec_put_int(b, (int64_t)s->step);
    fl_rec_put_int(b, s->time_ns);
    fl_rec_put_static(b, fl_step_kind_name(s->kind));
    fl_rec_put_opt_int(b, s->node, 0);
    fl_rec_put_opt_int(b, s->peer, 0);
    fl_rec_put_opt_int(b, (int64_t)s->msg_id, 0);
    size_t dlen = detail_len(r, s);
    if (dlen > 0)
        fl_rec_put_text(b, s->detail, dlen);
    else
        fl_rec_put_null(b);
    fl_rec_put_int(b, (int64_t)s->chain);
    row_done(r, ST_EVENT, "events");
}

static void on_fate(fl_recorder *r, const fl_rec_msg *m)
{
    rec_batch *b = &r->batch[ST_MESSAGE];
    const char *desc = m->desc;
    size_t type_len = desc != NULL ? strcspn(desc, " ") : 0;
    fl_rec_put_int(b, r->run_id);
    fl_rec_put_int(b, (int64_t)m->id);
    fl_rec_put_int(b, m->src);
    fl_rec_put_int(b, m->dst);
    if (type_len > 0)
        fl_rec_put_text(b, desc, type_len);
    else
        fl_rec_put_null(b);
    fl_rec_put_int(b, (int64_t)m->sent_step);
    fl_rec_put_int(b, m->sent_ns);
    fl_rec_put_int(b, m->deliver_ns);
    fl_rec_put_static(b, fl_fate_name(m->fate));
    fl_rec_put_int(b, (int64_t)m->fate_step);
    put_opt_text(b, desc);
    fl_rec_put_int(b, m->nth);
    fl_rec_put_int(b, m->copy);
    row_done(r, ST_MESSAGE, "messages");
    rec_fate *f = &r->fates[r->nfates++ % FATE_RING];
    f->id = m->id;
    snprintf(f->desc, sizeof f->desc, "%s", desc ? desc : "");
}

static void on_log(fl_recorder *r, const fl_rec_log *l)
{
    static const char *const level_names[] = {"debug", "info", "warn"};
    rec_batch *b = &r->batch[ST_LOG];
    const char *lname = l->level >= 0 && l->level <= 2 ? level_names[l->level] : "other";
    const char *text = l->text != NULL ? l->text : "";
    fl_rec_put_int(b, r->run_id);
    fl_rec_put_int(b, (int64_t)l->step);
    fl_rec_put_int(b, (int64_t)r->log_seq++);
    fl_rec_put_opt_int(b, l->node, 0);
    fl_rec_put_static(b, lname);
    fl_rec_put_text(b, text, strlen(text));
    row_done(r, ST_LOG, "logs");
}

static void on_state(fl_recorder *r, const fl_rec_state *s)
{
    rec_batch *b = &r->batch[ST_SNAPSHOT];
    fl_rec_put_int(b, r->run_id);
    fl_rec_put_int(b, (int64_t)s->step);
    fl_rec_put_int(b, s->node);
    if (s->scalars != NULL)
        fl_rec_put_text(b, s->scalars, strlen(s->scalars));
    else
        fl_rec_put_static(b, "null");
    if (s->parts != NULL)
        fl_rec_put_text(b, s->parts, strlen(s->parts));
    else
        fl_rec_put_null(b);
    fl_rec_put_int(b, s->keyframe != 0 || s->scalars == NULL);
    row_done(r, ST_SNAPSHOT, "snapshots");
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
        fl_rec_bind_opt_text(st, 5, c->key);
        fl_rec_bind_opt_text(st, 6, c->value);
        fl_rec_bind_opt_int(st, 7, c->node, 0);
        sqlite3_bind_int64(st, 8, (int64_t)c->invoke_step);
        sqlite3_bind_int64(st, 9, c->invoke_ns);
    } else {
        sqlite3_bind_text(st, 3, fl_client_event_name(c->type), -1, SQLITE_STATIC);
        fl_rec_bind_opt_text(st, 4, c->result);
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
    static const int batch_cols[ST_BATCHED] = {9, 13, 6, 6};
    for (int i = 0; rc == SQLITE_OK && i < ST_BATCHED; i++)
        rc = fl_rec_batch_init(&r->batch[i], r->h, insert_sql[i], batch_cols[i], r->st[i]);
    if (rc != SQLITE_OK)
        fail_sqlite(r, rc, "record: prepare");
    return r->rc;
}

/* The per-step rows still in the batches, before the runs row. */
static void flush_batches(fl_recorder *r)
{
    static const char *const what[ST_BATCHED] = {"events", "messages", "snapshots", "logs"};
    for (int i = 0; r->rc == 0 && i < ST_BATCHED; i++) {
        int rc = r->batch[i].many != NULL ? fl_rec_batch_flush(&r->batch[i]) : SQLITE_OK;
        if (rc != SQLITE_OK)
            fail_sqlite(r, rc, what[i]);
    }
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
    flush_batches(r);
    if (r->rc == 0 && !r->in_txn)
        begin_txn(r);
    if (r->rc == 0 && (rc = fl_rec_insert_run(r)) != SQLITE_OK)
        fail_sqlite(r, rc, "runs");
    if (r->rc == 0 && (rc = fl_rec_insert_faults(r)) != SQLITE_OK)
        fail_sqlite(r, rc, "faults");
    if (r->rc == 0 && (rc = fl_rec_insert_metrics(r)) != SQLITE_OK)
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
    for (int i = 0; i < ST_BATCHED; i++)
        fl_rec_batch_close(&r->batch[i]);
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

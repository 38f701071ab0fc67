/*
 * rec_stream.c -- a recorded run as its record stream (see rec_stream.h).
 *
 * Events are read with a cursor, step by step; the messages and client operations of
 * the run are loaded once and walked through two orders each (when sent and when
 * decided; when invoked and when completed), the log lines and states through their
 * own cursors, each as far as the current step.
 */
#include "results/rec_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/world.h"
#include "results/rec_stream_impl.h"
#include "results/state.h"

typedef struct msg_row {
    fl_rec_msg m;
    char *desc; /* messages.body, or NULL; m.desc points here */
} msg_row;

typedef struct op_row {
    fl_rec_client c; /* the completion's fields (type, result, complete_*) */
    char *f, *key, *value, *result;
} op_row;

typedef struct reader {
    fl_db *db;
    int64_t run;
    const fl_sink *sink;
    char *err;
    size_t cap;
    int rc;
    msg_row *msgs; /* by msg_id */
    size_t nmsgs, *by_sent, *by_fate, next_sent, next_fate;
    op_row *ops; /* by op_id */
    size_t nops, *by_done, next_invoke, next_done;
    fl_db_cursor *logs;
    int have_log;
    fl_state_reader *states;
    int have_state, state_node;
    int64_t state_step;
    const char *state_json;
    char *detail; /* a delivery's detail joined back */
    size_t detail_cap;
} reader;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void emit(reader *r, const fl_record *rec)
{
    if (r->rc || !(r->sink->wants & FL_REC_BIT(rec->kind)))
        return;
    int rc = r->sink->consume(r->sink->ctx, rec);
    if (rc) {
        snprintf(r->err, r->cap, "the %s failed: %s", r->sink->name, fl_strerror(rc));
        r->rc = rc;
    }
}

int fl_rec_parse_name(const char *(*name)(int), int count, const char *s)
{
    for (int i = 0; s && i < count; i++)
        if (strcmp(name(i), s) == 0)
            return i;
    return -1;
}

/* ---- loading the messages and the client operations ---- */

/* Orders: an index array sorted by two keys, then by index (the id order). */
typedef struct keyed {
    uint64_t k1, k2;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->k1 != y->k1)
        return x->k1 < y->k1 ? -1 : 1;
    if (x->k2 != y->k2)
        return x->k2 < y->k2 ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void sort_into(keyed *k, size_t n, size_t *out)
{
    qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < n; i++)
        out[i] = k[i].i;
}

static int grow(void **p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, ncap * size);
    if (!q)
        return FL_ENOMEM;
    *p = q;
    *cap = ncap;
    return 0;
}

static void msg_from_row(fl_db_cursor *c, msg_row *m)
{
    m->desc = dup_or_null(fl_db_cursor_text(c, 9));
    m->m = (fl_rec_msg){.id = (uint64_t)fl_db_cursor_int(c, 0),
                        .src = (int)fl_db_cursor_int(c, 1),
                        .dst = (int)fl_db_cursor_int(c, 2),
                        .sent_step = (uint64_t)fl_db_cursor_int(c, 3),
                        .sent_ns = fl_db_cursor_int(c, 4),
                        .deliver_ns = fl_db_cursor_int(c, 5),
                        .fate =
                            fl_rec_parse_name(fl_fate_name, FL_FATE_COUNT, fl_db_cursor_text(c, 6)),
                        .fate_step = (uint64_t)fl_db_cursor_int(c, 7),
                        .nth = (uint32_t)fl_db_cursor_int(c, 8),
                        .copy = (int)fl_db_cursor_int(c, 10),
                        .desc = m->desc};
    if (m->m.fate < 0)
        m->m.fate = FL_FATE_IN_FLIGHT;
}

static int load_messages(reader *r)
{
    fl_db_cursor *c;
    size_t cap = 0;
    /* nth and copy came with schema 3 */
    int v3 = fl_db_opened_version(r->db) >= 3;
    int rc = fl_db_cursor_open(
        r->db,
        v3 ? "SELECT msg_id, src, dst, sent_step, sent_ns, deliver_ns, fate, coalesce(fate_step, "
             "0),"
             " coalesce(nth, 0), body, coalesce(copy, 0) FROM messages WHERE run_id = ?"
             " ORDER BY msg_id"
           : "SELECT msg_id, src, dst, sent_step, sent_ns, deliver_ns, fate, coalesce(fate_step, "
             "0),"
             " 0, body, 0 FROM messages WHERE run_id = ? ORDER BY msg_id",
        &c, r->err, r->cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, r->run);
    while ((rc = fl_db_cursor_next(c, r->err, r->cap)) == 1) {
        if ((rc = grow((void **)&r->msgs, r->nmsgs, &cap, sizeof *r->msgs)) != 0)
            break;
        msg_from_row(c, &r->msgs[r->nmsgs++]);
    }
    fl_db_cursor_close(c);
    if (rc < 0)
        return rc;
    r->by_sent = malloc((r->nmsgs + 1) * sizeof *r->by_sent);
    r->by_fate = malloc((r->nmsgs + 1) * sizeof *r->by_fate);
    keyed *k = malloc((r->nmsgs + 1) * sizeof *k);
    if (r->by_sent && r->by_fate && k) {
        for (size_t i = 0; i < r->nmsgs; i++)
            k[i] = (keyed){r->msgs[i].m.sent_step, 0, i};
        sort_into(k, r->nmsgs, r->by_sent);
        for (size_t i = 0; i < r->nmsgs; i++) /* in flight at the end: after the others */
            k[i] = (keyed){r->msgs[i].m.fate == FL_FATE_IN_FLIGHT, r->msgs[i].m.fate_step, i};
        sort_into(k, r->nmsgs, r->by_fate);
    }
    free(k);
    return r->by_sent && r->by_fate && k ? 0 : FL_ENOMEM;
}

static void op_from_row(fl_db_cursor *c, op_row *o)
{
    o->f = strdup(fl_db_cursor_text(c, 3) ? fl_db_cursor_text(c, 3) : "");
    o->key = dup_or_null(fl_db_cursor_text(c, 4));
    o->value = dup_or_null(fl_db_cursor_text(c, 5));
    o->result = dup_or_null(fl_db_cursor_text(c, 6));
    int type = fl_rec_parse_name(fl_client_event_name, FL_CEV_COUNT, fl_db_cursor_text(c, 2));
    o->c = (fl_rec_client){.op_id = (uint64_t)fl_db_cursor_int(c, 0),
                           .process = (int)fl_db_cursor_int(c, 1),
                           .type = type < 0 ? FL_CEV_INVOKE : type,
                           .f = o->f,
                           .key = o->key,
                           .value = o->value,
                           .result = o->result,
                           .node = (int)fl_db_cursor_int(c, 7),
                           .invoke_step = (uint64_t)fl_db_cursor_int(c, 8),
                           .invoke_ns = fl_db_cursor_int(c, 9),
                           .complete_step = fl_db_cursor_int(c, 10),
                           .complete_ns = fl_db_cursor_int(c, 11)};
}

/* A file of schema 2 has no history table: no operations. */
static int load_ops(reader *r)
{
    fl_db_cursor *c;
    size_t cap = 0;
    int rc = fl_db_cursor_open(r->db,
                               "SELECT op_id, process, type, f, key, value, result, "
                               "coalesce(node, 0), invoke_step, invoke_ns, "
                               "coalesce(complete_step, -1), coalesce(complete_ns, -1) "
                               "FROM history WHERE run_id = ? ORDER BY op_id",
                               &c, r->err, r->cap);
    if (rc && strstr(r->err, "no such table")) {
        r->err[0] = '\0';
        return 0;
    }
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, r->run);
    while ((rc = fl_db_cursor_next(c, r->err, r->cap)) == 1) {
        if ((rc = grow((void **)&r->ops, r->nops, &cap, sizeof *r->ops)) != 0)
            break;
        op_from_row(c, &r->ops[r->nops++]);
    }
    fl_db_cursor_close(c);
    if (rc < 0)
        return rc;
    r->by_done = malloc((r->nops + 1) * sizeof *r->by_done);
    keyed *k = malloc((r->nops + 1) * sizeof *k);
    size_t n = 0;
    for (size_t i = 0; k && i < r->nops; i++)
        if (r->ops[i].c.type != FL_CEV_INVOKE) /* still outstanding: no completion */
            k[n++] = (keyed){(uint64_t)r->ops[i].c.complete_step, 0, i};
    if (r->by_done && k) {
        sort_into(k, n, r->by_done);
        r->by_done[n] = (size_t)-1;
    }
    free(k);
    return r->by_done && k ? 0 : FL_ENOMEM;
}

/* ---- one step ---- */

static int next_log(reader *r)
{
    int rc = fl_db_cursor_next(r->logs, r->err, r->cap);
    r->have_log = rc == 1;
    return rc < 0 ? rc : 0;
}

static int next_state(reader *r)
{
    int rc = fl_state_next(r->states, INT64_MAX, &r->state_step, &r->state_node, &r->state_json,
                           r->err, r->cap);
    r->have_state = rc == 1;
    return rc < 0 ? rc : 0;
}

static void emit_msg(reader *r, int kind, const msg_row *m)
{
    fl_record rec = {.kind = kind};
    rec.u.msg = m->m;
    emit(r, &rec);
}

/* The level's index in the recorder's names (docs/sql.md, logs.level); 3 for "other". */
static int level_of(const char *name)
{
    static const char *const levels[] = {"debug", "info", "warn"};
    int level = 0;
    while (level < 3 && name && strcmp(name, levels[level]) != 0)
        level++;
    return level;
}

static void emit_logs(reader *r, uint64_t step, int64_t time_ns)
{
    while (!r->rc && r->have_log && (uint64_t)fl_db_cursor_int(r->logs, 0) <= step) {
        fl_record rec = {.kind = FL_REC_LOG};
        rec.u.log = (fl_rec_log){.step = (uint64_t)fl_db_cursor_int(r->logs, 0),
                                 .time_ns = time_ns,
                                 .node = (int)fl_db_cursor_int(r->logs, 1),
                                 .level = level_of(fl_db_cursor_text(r->logs, 2)),
                                 .text = fl_db_cursor_text(r->logs, 3)};
        emit(r, &rec);
        int rc = next_log(r);
        if (rc && !r->rc)
            r->rc = rc;
    }
}

/* Invocations at their step, completions at theirs: an operation that completes in the
 * step it was invoked in gives its invocation first. */
static void emit_clients(reader *r, uint64_t step)
{
    if (!r->by_done) /* no history table */
        return;
    while (!r->rc && r->next_invoke < r->nops && r->ops[r->next_invoke].c.invoke_step <= step) {
        fl_record rec = {.kind = FL_REC_CLIENT};
        rec.u.client = r->ops[r->next_invoke++].c;
        rec.u.client.type = FL_CEV_INVOKE;
        rec.u.client.result = NULL;
        rec.u.client.complete_step = rec.u.client.complete_ns = -1;
        emit(r, &rec);
    }
    size_t k;
    while (!r->rc && (k = r->by_done[r->next_done]) != (size_t)-1 &&
           r->ops[k].c.complete_step <= (int64_t)step && k < r->next_invoke) {
        fl_record rec = {.kind = FL_REC_CLIENT};
        rec.u.client = r->ops[k].c;
        emit(r, &rec);
        r->next_done++;
    }
}

static void emit_states(reader *r, uint64_t step, int64_t time_ns)
{
    while (!r->rc && r->have_state && (uint64_t)r->state_step <= step) {
        fl_record rec = {.kind = FL_REC_STATE};
        rec.u.state = (fl_rec_state){.step = (uint64_t)r->state_step,
                                     .time_ns = time_ns,
                                     .node = r->state_node,
                                     .json = r->state_json,
                                     .scalars = r->state_json,
                                     .keyframe = 1};
        emit(r, &rec);
        int rc = next_state(r);
        if (rc && !r->rc)
            r->rc = rc;
    }
}

static const msg_row *find_msg(const reader *r, uint64_t id)
{
    size_t lo = 0, hi = r->nmsgs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->msgs[mid].m.id == id)
            return &r->msgs[mid];
        if (r->msgs[mid].m.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The detail as the step had it: a delivery's first word and its message's description
 * (the recorder keeps the first word only when the rest was the description). */
static const char *full_detail(reader *r, const fl_rec_step *s, const char *stored)
{
    if (!stored)
        return "";
    const msg_row *m = s->msg_id ? find_msg(r, s->msg_id) : NULL;
    if (s->kind != FL_STEP_DELIVER || !m || !m->desc || !m->desc[0] || strchr(stored, ' '))
        return stored;
    size_t need = strlen(stored) + strlen(m->desc) + 2;
    if (need > r->detail_cap) {
        char *p = realloc(r->detail, need);
        if (!p)
            return stored;
        r->detail = p;
        r->detail_cap = need;
    }
    snprintf(r->detail, r->detail_cap, "%s %s", stored, m->desc);
    return r->detail;
}

static void emit_step(reader *r, fl_db_cursor *ev)
{
    fl_rec_step s = {.step = (uint64_t)fl_db_cursor_int(ev, 0),
                     .time_ns = fl_db_cursor_int(ev, 1),
                     .kind = fl_step_kind_parse(fl_db_cursor_text(ev, 2)),
                     .node = (int)fl_db_cursor_int(ev, 3),
                     .peer = (int)fl_db_cursor_int(ev, 4),
                     .msg_id = (uint64_t)fl_db_cursor_int(ev, 5),
                     .chain = (uint64_t)fl_db_cursor_int(ev, 7)};
    s.detail = full_detail(r, &s, fl_db_cursor_text(ev, 6));
    fl_record rec = {.kind = FL_REC_STEP_BEGIN};
    rec.u.step = s;
    emit(r, &rec);
    /* the fates decided in this step: those of earlier sends (a delivery) before this
     * step's sends, as the handler runs after its message arrives; those of this step's
     * own sends (dropped at once) after them */
    size_t end = r->next_fate;
    while (end < r->nmsgs && r->msgs[r->by_fate[end]].m.fate != FL_FATE_IN_FLIGHT &&
           r->msgs[r->by_fate[end]].m.fate_step <= s.step)
        end++;
    for (size_t i = r->next_fate; i < end; i++)
        if (r->msgs[r->by_fate[i]].m.sent_step < s.step)
            emit_msg(r, FL_REC_FATE, &r->msgs[r->by_fate[i]]);
    while (!r->rc && r->next_sent < r->nmsgs &&
           r->msgs[r->by_sent[r->next_sent]].m.sent_step <= s.step)
        emit_msg(r, FL_REC_SEND, &r->msgs[r->by_sent[r->next_sent++]]);
    for (size_t i = r->next_fate; i < end; i++)
        if (r->msgs[r->by_fate[i]].m.sent_step >= s.step)
            emit_msg(r, FL_REC_FATE, &r->msgs[r->by_fate[i]]);
    r->next_fate = end;
    emit_logs(r, s.step, s.time_ns);
    emit_clients(r, s.step);
    emit_states(r, s.step, s.time_ns);
    rec.kind = FL_REC_STEP_END;
    emit(r, &rec);
}

static void emit_faults(reader *r)
{
    fl_db_cursor *c;
    /* faults.reached came with schema 3 (NULL in rows merged from older files): an entry
     * that took effect was reached */
    const char *sql = fl_db_opened_version(r->db) >= 3
                          ? "SELECT seq, at_ns, kind, spec, coalesce(reached, took_effect),"
                            " took_effect FROM faults WHERE run_id = ? ORDER BY seq"
                          : "SELECT seq, at_ns, kind, spec, took_effect, took_effect"
                            " FROM faults WHERE run_id = ? ORDER BY seq";
    if (r->rc || (r->rc = fl_db_cursor_open(r->db, sql, &c, r->err, r->cap)) != 0)
        return;
    fl_db_cursor_bind_int(c, 1, r->run);
    int rc;
    while (!r->rc && (rc = fl_db_cursor_next(c, r->err, r->cap)) == 1) {
        fl_record rec = {.kind = FL_REC_FAULT};
        rec.u.fault = (fl_rec_fault){.seq = (uint64_t)fl_db_cursor_int(c, 0),
                                     .at_ns = fl_db_cursor_int(c, 1),
                                     .kind = fl_db_cursor_text(c, 2),
                                     .spec = fl_db_cursor_text(c, 3),
                                     .reached = (int)fl_db_cursor_int(c, 4),
                                     .took_effect = (int)fl_db_cursor_int(c, 5)};
        emit(r, &rec);
    }
    if (!r->rc && rc < 0)
        r->rc = rc;
    fl_db_cursor_close(c);
}

static void emit_metrics(reader *r)
{
    fl_db_cursor *c;
    if (r->rc || (r->rc = fl_db_cursor_open(
                      r->db, "SELECT name, value FROM metrics WHERE run_id = ? ORDER BY name", &c,
                      r->err, r->cap)) != 0)
        return;
    fl_db_cursor_bind_int(c, 1, r->run);
    int rc;
    while (!r->rc && (rc = fl_db_cursor_next(c, r->err, r->cap)) == 1) {
        fl_record rec = {.kind = FL_REC_METRIC};
        rec.u.metric = (fl_rec_metric){fl_db_cursor_text(c, 0), fl_db_cursor_int(c, 1)};
        emit(r, &rec);
    }
    if (!r->rc && rc < 0)
        r->rc = rc;
    fl_db_cursor_close(c);
}

static int open_cursors(reader *r)
{
    int rc = fl_db_cursor_open(r->db,
                               "SELECT step, node, level, text FROM logs WHERE run_id = ? "
                               "ORDER BY step, seq",
                               &r->logs, r->err, r->cap);
    if (rc == 0) {
        fl_db_cursor_bind_int(r->logs, 1, r->run);
        rc = next_log(r);
    }
    if (rc == 0)
        rc = fl_state_reader_open(r->db, r->run, &r->states, r->err, r->cap);
    if (rc == 0)
        rc = next_state(r);
    if (rc == 0)
        rc = load_messages(r);
    if (rc == 0)
        rc = load_ops(r);
    return rc;
}

static void close_reader(reader *r)
{
    for (size_t i = 0; i < r->nmsgs; i++)
        free(r->msgs[i].desc);
    for (size_t i = 0; i < r->nops; i++) {
        free(r->ops[i].f);
        free(r->ops[i].key);
        free(r->ops[i].value);
        free(r->ops[i].result);
    }
    free(r->msgs);
    free(r->by_sent);
    free(r->by_fate);
    free(r->ops);
    free(r->by_done);
    free(r->detail);
    fl_db_cursor_close(r->logs);
    fl_state_reader_close(r->states);
}

static void emit_steps(reader *r)
{
    fl_db_cursor *ev;
    if ((r->rc = fl_db_cursor_open(r->db,
                                   "SELECT step, time_ns, kind, coalesce(node, 0), "
                                   "coalesce(peer, 0), coalesce(msg_id, 0), detail, chain "
                                   "FROM events WHERE run_id = ? ORDER BY step",
                                   &ev, r->err, r->cap)) != 0)
        return;
    fl_db_cursor_bind_int(ev, 1, r->run);
    int rc;
    while (!r->rc && (rc = fl_db_cursor_next(ev, r->err, r->cap)) == 1)
        emit_step(r, ev);
    if (!r->rc && rc < 0)
        r->rc = rc;
    fl_db_cursor_close(ev);
    /* the messages still in flight at the end come after the last step */
    while (!r->rc && r->next_fate < r->nmsgs)
        emit_msg(r, FL_REC_FATE, &r->msgs[r->by_fate[r->next_fate++]]);
}

int fl_rec_stream(fl_db *db, int64_t run_id, const fl_sink *sink, char *err, size_t cap)
{
    reader r = {.db = db, .run = run_id, .sink = sink, .err = err, .cap = cap};
    fl_rec_run_row w = {0};
    r.rc = fl_rec_read_run(db, run_id, &w, err, cap);
    if (r.rc == 0)
        r.rc = open_cursors(&r);
    if (r.rc == 0) {
        fl_record rec = {.kind = FL_REC_RUN_BEGIN};
        rec.u.begin = (fl_rec_run_begin){w.seed, w.nodes, w.protocol, w.schedule_json};
        emit(&r, &rec);
    }
    if (r.rc == 0)
        emit_steps(&r);
    emit_faults(&r);
    emit_metrics(&r);
    if (r.rc == 0) {
        fl_record rec = {.kind = FL_REC_RUN_END};
        rec.u.end = &w.res;
        emit(&r, &rec);
    }
    close_reader(&r);
    free(w.schedule_json);
    return r.rc;
}

/*
 * lin.c -- fl_lin_check(): split a history into partitions (one per kv key, or one),
 * turn each partition's operations into the search's form, run the search on each in
 * a fixed order (keys by first appearance), and describe the outcome.
 *
 * Which operations enter the search (see lin.h): ok ops with their outputs; failed
 * cas as "the register did not hold the expected value"; info and never-completed
 * writes, puts, appends and cas as ops of unknown outcome (no return entry).  Reads
 * and gets without an ok, and failed writes, are left out: they cannot constrain
 * anything.  The first partition that is not linearizable ends the check.
 */
#include "results/lin.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "results/hash.h"
#include "results/lin_int.h"

/* An open-addressing map from uint64 to dense uint32 ids (first come, first id). */
typedef struct idmap {
    uint64_t *key;
    uint8_t *used;
    uint32_t *val;
    size_t n, cap;
} idmap;

/* *id = the id of k, new ids from `first`; *isnew says whether it was added. */
static int idmap_get(idmap *m, uint64_t k, uint32_t first, uint32_t *id, int *isnew)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint64_t *nk = calloc(cap, sizeof *nk);
        uint8_t *nu = calloc(cap, 1);
        uint32_t *nv = calloc(cap, sizeof *nv);
        if (!nk || !nv || !nu) {
            free(nk), free(nv), free(nu);
            return FL_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->used[i])
                continue;
            size_t j = fl_mix64(m->key[i]) & (cap - 1);
            while (nu[j])
                j = (j + 1) & (cap - 1);
            nk[j] = m->key[i], nv[j] = m->val[i], nu[j] = 1;
        }
        free(m->key), free(m->val), free(m->used);
        m->key = nk, m->val = nv, m->used = nu, m->cap = cap;
    }
    size_t j = fl_mix64(k) & (m->cap - 1);
    for (; m->used[j]; j = (j + 1) & (m->cap - 1))
        if (m->key[j] == k) {
            *id = m->val[j];
            *isnew = 0;
            return 0;
        }
    m->key[j] = k;
    m->used[j] = 1;
    *id = m->val[j] = first + (uint32_t)m->n++;
    *isnew = 1;
    return 0;
}

static void idmap_free(idmap *m)
{
    free(m->key), free(m->val), free(m->used);
}

const char *fl_lin_verdict_name(int verdict)
{
    static const char *const names[] = {"ok", "violation", "unknown"};
    return verdict >= 0 && verdict <= 2 ? names[verdict] : "?";
}

int fl_lin_model_parse(const char *name)
{
    static const char *const names[] = {"register", "kv", "kv-whole"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void fl_lin_result_close(fl_lin_result *r)
{
    free(r->prefix);
    r->prefix = NULL;
    r->prefix_len = 0;
}

static void detail(fl_lin_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(fl_lin_result *r, const char *fmt, ...)
{
    size_t at = strlen(r->detail);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail + at, sizeof r->detail - at, fmt, ap);
    va_end(ap);
}

/* The search's form of history op o, or 0 when it is left out. */
static int convert(const fl_op *o, lin_op *x)
{
    int ok = o->type == FL_DONE_OK, fail = o->type == FL_DONE_FAIL;
    int maybe = o->type == FL_DONE_INFO || o->type == FL_DONE_NONE;
    x->definite = (uint8_t)(ok || fail);
    switch (o->f) {
    case FL_F_READ:
        x->kind = LK_READ;
        return ok;
    case FL_F_GET:
        x->kind = LK_GET;
        return ok;
    case FL_F_CAS:
        x->kind = ok ? LK_CAS : fail ? LK_CAS_NOT : LK_CAS_MAYBE;
        return 1;
    case FL_F_WRITE:
        x->kind = LK_WRITE;
        return ok || maybe;
    case FL_F_PUT:
        x->kind = LK_PUT;
        return ok || maybe;
    case FL_F_APPEND:
        x->kind = LK_APPEND;
        return ok || maybe;
    }
    return 0;
}

typedef struct ctx {
    const fl_history *h;
    int model;
    const uint32_t *pid; /* kv: per history op, its key's partition (slot) */
    uint32_t nkeys;
    uint64_t states_left, max_bytes;
    int64_t deadline_ns;
    fl_lin_result *out;
} ctx;

static int value_id(idmap *vals, int64_t v, uint32_t *id)
{
    int isnew;
    return idmap_get(vals, (uint64_t)v, 1, id, &isnew);
}

static int kv_id(const fl_history *h, lin_model *m, int64_t sid, uint32_t *id)
{
    size_t len;
    const char *s = fl_history_str(h, (uint32_t)sid, &len);
    return lin_model_intern(m, s, len, id);
}

/* Fill ops from history ops hops[0..n) (in invocation order); *nout = how many enter. */
static int build_ops(ctx *c, lin_model *m, idmap *vals, const size_t *hops, size_t n, lin_op *ops,
                     size_t *nout)
{
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const fl_op *o = fl_history_op(c->h, hops[i]);
        lin_op *x = &ops[k];
        *x = (lin_op){
            .hop = (uint32_t)hops[i], .invoke = o->invoke_index, .complete = o->complete_index};
        if (!convert(o, x))
            continue;
        k++;
        if (o->f == FL_F_READ)
            rc = o->out_null ? (x->a = 0, 0) : value_id(vals, o->out, &x->a);
        else if (o->f == FL_F_WRITE)
            rc = value_id(vals, o->in1, &x->a);
        else if (o->f == FL_F_CAS)
            rc = value_id(vals, o->in1, &x->a) ? FL_ENOMEM : value_id(vals, o->in2, &x->b);
        else
            rc = kv_id(c->h, m, o->f == FL_F_GET ? o->out : o->in1, &x->a);
        if (c->model == FL_LIN_KV_WHOLE)
            x->slot = c->pid[hops[i]];
    }
    *nout = k;
    return rc == FL_ELIMIT ? FL_ENOMEM : rc;
}

static void describe_key(ctx *c, uint32_t key_sid)
{
    size_t len;
    const char *s = fl_history_str(c->h, key_sid, &len);
    detail(c->out, "key \"%.*s%s\": ", (int)(len > 60 ? 60 : len), s, len > 60 ? "..." : "");
}

/* Copy a partition's violation into the result, in history op indexes. */
static int report(ctx *c, const lin_op *ops, const lin_found *f, int64_t key)
{
    fl_lin_result *r = c->out;
    char buf[160];
    r->prefix = malloc((f->best_len + 1) * sizeof *r->prefix);
    if (!r->prefix)
        return FL_ENOMEM;
    for (size_t i = 0; i < f->best_len; i++)
        r->prefix[i] = ops[f->best[i]].hop;
    r->prefix_len = f->best_len;
    r->key = key;
    r->culprit = ops[f->culprit].hop;
    r->culprit_complete_index = ops[f->culprit].complete;
    for (size_t i = 0; i < f->concurrent_len && i < FL_LIN_REPORT_MAX; i++)
        r->concurrent[r->concurrent_len++] = ops[f->concurrent[i]].hop;
    detail(r, "not linearizable: ");
    if (key >= 0)
        describe_key(c, (uint32_t)key);
    detail(r,
           "after a linearizable prefix of %zu operations, op %" PRId64 " (%s, completed at "
           "event %" PRId64 ") cannot be linearized",
           r->prefix_len, r->culprit,
           fl_history_describe(c->h, (size_t)r->culprit, buf, sizeof buf),
           r->culprit_complete_index);
    if (r->concurrent_len)
        detail(r, "; %zu other operations were pending", r->concurrent_len);
    return 0;
}

/* Search one partition (history ops hops[0..n)) with a budget of *states (decremented);
 * key is its string id or -1.  Returns 0 with the partition's verdict in *verdict and,
 * for UNKNOWN, LIN_WHY_* in *why. */
static int check_part(ctx *c, const size_t *hops, size_t n, int64_t key, uint64_t *states,
                      int *verdict, int *why)
{
    int mode = c->model == FL_LIN_REGISTER ? 0 : c->model == FL_LIN_KV ? 1 : 2;
    lin_model *m = lin_model_new(mode, c->nkeys, c->max_bytes / 2);
    lin_op *ops = malloc((n + 1) * sizeof *ops);
    idmap vals = {0};
    size_t k = 0;
    int rc = m && ops ? build_ops(c, m, &vals, hops, n, ops, &k) : FL_ENOMEM;
    lin_found f = {0};
    if (rc == 0)
        rc = lin_search(m, ops, k, states, c->max_bytes / 2, c->deadline_ns, &f);
    *verdict = f.verdict;
    *why = f.why;
    if (rc == 0 && f.verdict != FL_LIN_UNKNOWN)
        c->out->ops_checked += k;
    if (rc == 0 && f.verdict == FL_LIN_VIOLATION)
        rc = report(c, ops, &f, key);
    free(f.best);
    free(ops);
    idmap_free(&vals);
    lin_model_free(m);
    return rc;
}

static void unknown_detail(ctx *c, int why, int64_t key)
{
    static const char *const whys[] = {"the budget of search states ran out",
                                       "the time limit ran out", "the memory limit ran out"};
    detail(c->out, "unknown: %s", whys[why]);
    if (key >= 0) {
        detail(c->out, " on ");
        describe_key(c, (uint32_t)key);
    } else {
        detail(c->out, "; ");
    }
    detail(c->out, "%zu of %zu partitions were found linearizable", c->out->checked,
           c->out->partitions);
}

/* kv: number the keys by first appearance (pid per op) and list each key's ops
 * contiguously (order[] with start offsets), invocation order inside a key. */
static int split_keys(const fl_history *h, uint32_t *pid, uint32_t *nkeys, size_t *order,
                      size_t **start, uint32_t **key_sid)
{
    size_t n = fl_history_len(h);
    idmap keys = {0};
    int isnew, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = idmap_get(&keys, fl_history_op(h, i)->key, 0, &pid[i], &isnew);
    *nkeys = (uint32_t)keys.n;
    idmap_free(&keys);
    *start = calloc((size_t)*nkeys + 1, sizeof **start);
    *key_sid = malloc(((size_t)*nkeys + 1) * sizeof **key_sid);
    if (rc || !*start || !*key_sid)
        return FL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        (*start)[pid[i] + 1]++;
        (*key_sid)[pid[i]] = fl_history_op(h, i)->key;
    }
    for (uint32_t k = 0; k < *nkeys; k++)
        (*start)[k + 1] += (*start)[k];
    size_t *fill = malloc(((size_t)*nkeys + 1) * sizeof *fill);
    if (!fill)
        return FL_ENOMEM;
    memcpy(fill, *start, (size_t)*nkeys * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        order[fill[pid[i]]++] = i;
    free(fill);
    return 0;
}

/* Wall time, for check-history's wall_ns budget only: never inside a simulated run. */
int64_t fl_lin_wall_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall_clock, check-history only */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One partition with all of the budget: register, kv-whole. */
static int check_one(ctx *c, size_t *order, size_t n)
{
    int verdict, why, rc = 0;
    if (c->model == FL_LIN_KV_WHOLE) { /* slots: keys numbered as split_keys does */
        size_t *start = NULL;
        uint32_t *key_sid = NULL;
        rc = split_keys(c->h, (uint32_t *)c->pid, &c->nkeys, order, &start, &key_sid);
        free(start);
        free(key_sid);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    c->out->partitions = 1;
    rc = check_part(c, order, n, -1, &c->states_left, &verdict, &why);
    c->out->verdict = verdict;
    if (rc == 0 && verdict == FL_LIN_OK)
        c->out->checked = 1;
    if (rc == 0 && verdict == FL_LIN_UNKNOWN)
        unknown_detail(c, why, -1);
    return rc;
}

#define ROUND_STATES 16384 /* first round's budget per key; x8 per round */

/* kv per key.  One hard key must not hide a violation in another (Porcupine runs keys
 * in parallel for this), so the keys are searched in rounds with a per-key budget that
 * grows eightfold; a key left UNKNOWN is searched again from scratch in the next round
 * (at most 8/7 of the work of the last round).  Deterministic: the order is fixed. */
static int check_keys(ctx *c, size_t *order, uint32_t *pid)
{
    size_t *start = NULL;
    uint32_t *key_sid = NULL;
    int rc = split_keys(c->h, pid, &c->nkeys, order, &start, &key_sid);
    uint8_t *done = rc ? NULL : calloc((size_t)c->nkeys + 1, 1); /* 1 ok, 2 unknown for good */
    c->out->partitions = c->nkeys;
    int verdict = FL_LIN_OK, why = 0, last_why = 0;
    int64_t last_key = -1;
    rc = rc ? rc : done ? 0 : FL_ENOMEM;
    for (uint64_t round = ROUND_STATES; rc == 0 && verdict == FL_LIN_OK; round *= 8) {
        size_t pending = 0;
        for (uint32_t k = 0; rc == 0 && k < c->nkeys && verdict == FL_LIN_OK; k++) {
            if (done[k])
                continue;
            uint64_t give = round < c->states_left ? round : c->states_left, left = give;
            int final = give == c->states_left; /* no more to give next round */
            rc = check_part(c, order + start[k], start[k + 1] - start[k], key_sid[k], &left,
                            &verdict, &why);
            c->states_left -= give - left;
            if (rc || verdict == FL_LIN_VIOLATION)
                break;
            if (verdict == FL_LIN_OK) {
                done[k] = 1;
                c->out->checked++;
                continue;
            }
            last_why = why, last_key = key_sid[k];
            if (why == LIN_WHY_TIME || (why == LIN_WHY_STATES && final))
                break; /* UNKNOWN: nothing left to search with */
            verdict = FL_LIN_OK;
            if (why == LIN_WHY_MEMORY)
                done[k] = 2; /* more states will not fit either */
            else
                pending++;
        }
        if (rc == 0 && verdict == FL_LIN_OK && pending == 0)
            break;
    }
    for (uint32_t k = 0; rc == 0 && verdict == FL_LIN_OK && k < c->nkeys; k++)
        if (done[k] == 2)
            verdict = FL_LIN_UNKNOWN;
    c->out->verdict = verdict;
    if (rc == 0 && verdict == FL_LIN_UNKNOWN)
        unknown_detail(c, last_why, last_key);
    free(done);
    free(start);
    free(key_sid);
    return rc;
}

int fl_lin_check(const fl_history *h, int model, const fl_lin_budget *b, fl_lin_result *out)
{
    static const fl_lin_budget defaults = {0};
    *out = (fl_lin_result){.key = -1, .culprit = -1, .culprit_complete_index = -1};
    if (!b)
        b = &defaults;
    if (model < FL_LIN_REGISTER || model > FL_LIN_KV_WHOLE) {
        detail(out, "unknown model %d", model);
        return FL_EINVAL;
    }
    size_t n = fl_history_len(h);
    if (n && fl_history_is_kv(h) != (model != FL_LIN_REGISTER)) {
        detail(out, "the history has %s operations; the %s model checks %s ones",
               fl_history_is_kv(h) ? "kv" : "register", model ? "kv" : "register",
               model ? "kv" : "register");
        return FL_EINVAL;
    }
    ctx c = {.h = h, .model = model, .out = out};
    c.states_left = b->max_states ? b->max_states : FL_LIN_STATES_DEFAULT;
    c.max_bytes = b->max_bytes ? b->max_bytes : FL_LIN_BYTES_DEFAULT;
    c.deadline_ns = b->wall_ns > 0 ? fl_lin_wall_now_ns() + b->wall_ns : 0;
    size_t *order = malloc((n + 1) * sizeof *order);
    uint32_t *pid = malloc((n + 1) * sizeof *pid);
    c.pid = pid;
    int rc = !order || !pid       ? FL_ENOMEM
             : model == FL_LIN_KV ? check_keys(&c, order, pid)
                                  : check_one(&c, order, n);
    uint64_t budget = b->max_states ? b->max_states : FL_LIN_STATES_DEFAULT;
    out->states = budget - c.states_left;
    if (rc == 0 && out->verdict == FL_LIN_OK)
        detail(out,
               "linearizable: %zu operations (%zu checked) in %zu partition%s, %" PRIu64
               " search states",
               n, out->ops_checked, out->partitions, out->partitions == 1 ? "" : "s", out->states);
    free(order);
    free(pid);
    if (rc)
        fl_lin_result_close(out);
    return rc;
}

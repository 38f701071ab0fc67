/* clients.c -- simulated client processes and their history (see clients.h). */
#include "sim/run/clients.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/rng.h"
#include "results/lin.h"

#define CLIENTS_JSON_MAX (FL_CLIENT_VALUE_MAX * 6 + 64) /* an escaped value, as JSON text */

/* One operation, by op id - 1 (invocation order: the history's order too). */
typedef struct cop {
    int process, node;
    uint8_t f; /* enum fl_client_f */
    uint8_t done, arrived;
    int64_t a, b;
    char *key, *value; /* kv (owned); NULL for register operations */
    uint64_t invoke_step;
    int64_t invoke_ns, latency_ns;
} cop;

typedef struct proc {
    int sticky;  /* the node a sticky client keeps asking; 0: none yet */
    uint64_t k;  /* operations drawn so far */
    uint64_t op; /* the outstanding operation's id; 0: none */
    cop next;    /* drawn, waiting for its invocation time */
    int has_last;
    fl_rec_client last; /* the latest completion, for scripts' expect */
} proc;

struct fl_clients {
    fl_clients_config cfg;
    uint64_t seed;
    int nodes, scripted;
    int64_t every_ns, ops_max, scheduled;
    fl_latency lat;
    proc *procs;
    cop *ops;
    size_t nops, cap;
    fl_history *h;
    const fl_faults *faults; /* NULL: no partition cuts clients off */
    uint64_t n_ok, n_fail, n_info, n_lost, n_late;
    char value[CLIENTS_JSON_MAX], result[CLIENTS_JSON_MAX]; /* JSON text scratch */
    char last_value[CLIENTS_JSON_MAX], last_result[CLIENTS_JSON_MAX];
    char last_key[FL_CLIENT_KEY_MAX + 1];
};

static const char *const f_names[] = {"?", "read", "write", "cas", "get", "put", "append"};

/* ---- JSON text of values ---- */

static void json_string(char *out, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) { /* bytes as code points: always valid JSON */
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

static void op_value_json(const cop *o, char *out, size_t cap)
{
    switch (o->f) {
    case FL_CLIENT_WRITE:
        snprintf(out, cap, "%" PRId64, o->a);
        break;
    case FL_CLIENT_CAS:
        snprintf(out, cap, "[%" PRId64 ",%" PRId64 "]", o->a, o->b);
        break;
    case FL_CLIENT_PUT:
    case FL_CLIENT_APPEND:
        json_string(out, cap, o->value, strlen(o->value));
        break;
    default:
        snprintf(out, cap, "null");
    }
}

/* ---- records ---- */

static void emit(fl_clients *cl, fl_world *w, uint64_t id, int type, const char *result)
{
    const cop *o = &cl->ops[id - 1];
    fl_rec_client rc = {.op_id = id,
                        .process = o->process,
                        .type = type,
                        .f = f_names[o->f],
                        .key = o->key,
                        .value = cl->value,
                        .result = result,
                        .node = o->node,
                        .invoke_step = o->invoke_step,
                        .invoke_ns = o->invoke_ns,
                        .complete_step = type == FL_CEV_INVOKE ? -1 : (int64_t)fl_world_steps(w),
                        .complete_ns = type == FL_CEV_INVOKE ? -1 : fl_world_now(w)};
    op_value_json(o, cl->value, sizeof cl->value);
    if (type != FL_CEV_INVOKE) {
        proc *p = &cl->procs[o->process];
        p->has_last = 1;
        p->last = rc;
        snprintf(cl->last_value, sizeof cl->last_value, "%s", cl->value);
        p->last.value = cl->last_value;
        if (result)
            snprintf(cl->last_result, sizeof cl->last_result, "%s", result);
        p->last.result = result ? cl->last_result : NULL;
        if (o->key)
            snprintf(cl->last_key, sizeof cl->last_key, "%s", o->key);
        p->last.key = o->key ? cl->last_key : NULL;
    }
    fl_record r = {.kind = FL_REC_CLIENT};
    r.u.client = rc;
    fl_world_emit(w, &r);
}

/* ---- drawing the next operation ---- */

static void draw_op(fl_clients *cl, int process, cop *o, int64_t *think_ns)
{
    proc *p = &cl->procs[process];
    fl_rng r;
    fl_rng_fork(&r, cl->seed, "clients", (uint64_t)process << 32 | p->k);
    p->k++;
    memset(o, 0, sizeof *o);
    o->process = process;
    *think_ns = fl_rng_exp(&r, cl->every_ns);
    int node = 1 + (int)fl_rng_below(&r, (uint64_t)cl->nodes);
    if (cl->cfg.policy == FL_POLICY_STICKY) {
        if (!p->sticky)
            p->sticky = node;
        node = p->sticky;
    }
    o->node = node;
    uint64_t pick = fl_rng_below(&r, 100);
    o->a = (int64_t)fl_rng_below(&r, 5);
    o->b = (int64_t)fl_rng_below(&r, 5);
    uint64_t key = fl_rng_below(&r, (uint64_t)cl->cfg.keys);
    o->latency_ns = fl_rng_range(&r, cl->lat.min_ns, cl->lat.max_ns);
    if (cl->cfg.model == FL_MODEL_REGISTER) {
        o->f = pick < 50 ? FL_CLIENT_READ : pick < 80 ? FL_CLIENT_WRITE : FL_CLIENT_CAS;
        return;
    }
    o->f = pick < 40 ? FL_CLIENT_GET : pick < 70 ? FL_CLIENT_PUT : FL_CLIENT_APPEND;
    o->a = o->b = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "k%" PRIu64, key);
    o->key = strdup(buf);
    if (o->f != FL_CLIENT_GET) {
        /* unique values, so that a read names the write it saw */
        snprintf(buf, sizeof buf, "%d.%" PRIu64 " ", process, p->k);
        o->value = strdup(buf);
    }
}

static void invoke_action(fl_world *w, void *ctx, uint64_t process);

static void schedule_next(fl_clients *cl, fl_world *w, int process)
{
    if (cl->scripted || (cl->ops_max && cl->scheduled >= cl->ops_max))
        return;
    proc *p = &cl->procs[process];
    int64_t think;
    free(p->next.key);
    free(p->next.value);
    draw_op(cl, process, &p->next, &think);
    cl->scheduled++;
    int64_t at = fl_world_now(w) + think;
    fl_world_at(w, at, FL_STEP_CLIENT, p->next.node, invoke_action, cl, (uint64_t)process);
}

/* ---- invocation, arrival, answer, timeout ---- */

static int add_op(fl_clients *cl, const cop *o, uint64_t *id)
{
    if (cl->nops == cl->cap) {
        size_t ncap = cl->cap ? cl->cap * 2 : 256;
        cop *v = realloc(cl->ops, ncap * sizeof *v);
        if (!v)
            return FL_ENOMEM;
        cl->ops = v;
        cl->cap = ncap;
    }
    cl->ops[cl->nops++] = *o;
    *id = cl->nops;
    return 0;
}

/* Enter o into the ops and the history, emit the invocation.  Takes o's strings. */
static int invoke(fl_clients *cl, fl_world *w, cop *o, uint64_t *id)
{
    size_t hist;
    int rc;
    int f = o->f - 1; /* FL_CLIENT_* are FL_F_* + 1 */
    if (o->key)
        rc = fl_history_invoke_kv(cl->h, o->process, f, o->key, strlen(o->key), o->value,
                                  o->value ? strlen(o->value) : 0, &hist);
    else
        rc = fl_history_invoke_reg(cl->h, o->process, f, o->a, o->b, &hist);
    if (rc == 0)
        rc = add_op(cl, o, id);
    if (rc) {
        free(o->key);
        free(o->value);
        return rc;
    }
    FL_ASSERT(hist == *id - 1);
    cop *c = &cl->ops[*id - 1];
    c->invoke_step = fl_world_steps(w);
    c->invoke_ns = fl_world_now(w);
    fl_op *ho = fl_history_op_mut(cl->h, hist);
    ho->invoke_step = (int64_t)c->invoke_step;
    ho->invoke_ns = c->invoke_ns;
    cl->procs[o->process].op = *id;
    op_value_json(c, cl->value, sizeof cl->value);
    int show = strcmp(cl->value, "null") != 0; /* reads have no value */
    fl_world_set_detail(w, "p%d invoke %s%s%s%s%s at node %d (op %" PRIu64 ")", c->process,
                        f_names[c->f], c->key ? " " : "", c->key ? c->key : "", show ? " " : "",
                        show ? cl->value : "", c->node, *id);
    emit(cl, w, *id, FL_CEV_INVOKE, NULL);
    return 0;
}

/* The request reaches its node (now): the protocol's on_client_op, or lost. */
static void deliver_request(fl_clients *cl, fl_world *w, uint64_t id)
{
    cop *o = &cl->ops[id - 1];
    unsigned char buf[FL_CLIENT_OP_HEADER + FL_CLIENT_KEY_MAX + FL_CLIENT_VALUE_MAX];
    fl_client_op op = {.f = o->f,
                       .a = o->a,
                       .b = o->b,
                       .key = o->key,
                       .key_len = o->key ? strlen(o->key) : 0,
                       .value = o->value,
                       .value_len = o->value ? strlen(o->value) : 0};
    size_t len = fl_client_op_encode(&op, buf, sizeof buf);
    FL_ASSERT(len > 0);
    o->arrived = 1;
    if (fl_world_client_op(w, o->node, id, buf, len) != 0) {
        cl->n_lost++;
        o->arrived = 0;
    }
}

static int op_done(void *ctx, uint64_t id)
{
    fl_clients *cl = ctx;
    return cl->ops[id - 1].done;
}

static void arrive_action(fl_world *w, void *ctx, uint64_t id)
{
    fl_clients *cl = ctx;
    cop *o = &cl->ops[id - 1];
    if (!fl_world_node_up(w, o->node)) {
        fl_world_set_detail(w, "op %" PRIu64 " (p%d %s) lost: node %d is down", id, o->process,
                            f_names[o->f], o->node);
        cl->n_lost++;
        return;
    }
    const fl_partition *part = cl->faults ? fl_faults_partition_now(cl->faults) : NULL;
    if (part && fl_partition_cuts_client(part, o->process, o->node)) {
        fl_world_set_detail(w, "op %" PRIu64 " (p%d %s) lost: a partition cuts p%d off node %d", id,
                            o->process, f_names[o->f], o->process, o->node);
        cl->n_lost++;
        return;
    }
    fl_world_set_detail(w, "op %" PRIu64 " (p%d %s) reaches node %d", id, o->process, f_names[o->f],
                        o->node);
    deliver_request(cl, w, id);
}

static void complete(fl_clients *cl, fl_world *w, uint64_t id, int type, const fl_client_result *r)
{
    cop *o = &cl->ops[id - 1];
    size_t hist = id - 1;
    const char *result = NULL;
    int htype = type == FL_CEV_OK ? FL_DONE_OK : type == FL_CEV_FAIL ? FL_DONE_FAIL : FL_DONE_INFO;
    uint64_t fold = 0;
    if (type == FL_CEV_OK && o->f == FL_CLIENT_READ) {
        if (r->is_null)
            snprintf(cl->result, sizeof cl->result, "null");
        else
            snprintf(cl->result, sizeof cl->result, "%" PRId64, r->value);
        result = cl->result;
        fold = r->is_null ? UINT64_MAX : (uint64_t)r->value;
    } else if (type == FL_CEV_OK && o->f == FL_CLIENT_GET) {
        json_string(cl->result, sizeof cl->result, r->str, r->str_len);
        result = cl->result;
        fold = fl_digest_bytes(0, r->str, r->str_len);
    }
    if (o->key)
        fl_history_complete_kv(cl->h, hist, htype, r ? r->str : NULL, r ? r->str_len : 0);
    else
        fl_history_complete_reg(cl->h, hist, htype, r ? r->is_null : 0, r ? r->value : 0);
    fl_op *ho = fl_history_op_mut(cl->h, hist);
    ho->complete_step = (int64_t)fl_world_steps(w);
    ho->complete_ns = fl_world_now(w);
    o->done = 1;
    cl->procs[o->process].op = 0;
    *(type == FL_CEV_OK ? &cl->n_ok : type == FL_CEV_FAIL ? &cl->n_fail : &cl->n_info) += 1;
    fl_world_fold(w, id << 2 | (uint64_t)type);
    fl_world_fold(w, fold);
    emit(cl, w, id, type, result);
    schedule_next(cl, w, o->process);
}

static int on_reply(void *ctx, fl_world *w, int node, uint64_t id, const void *res, size_t len)
{
    fl_clients *cl = ctx;
    fl_client_result r;
    if (id == 0 || id > cl->nops || fl_client_result_decode(res, len, &r) != 0)
        return 1;
    cop *o = &cl->ops[id - 1];
    if (o->done || !o->arrived || o->node != node) {
        cl->n_late++;
        return 1;
    }
    complete(cl, w, id, r.type == FL_CLIENT_OK ? FL_CEV_OK : FL_CEV_FAIL, &r);
    return 0;
}

static void timeout_action(fl_world *w, void *ctx, uint64_t id)
{
    fl_clients *cl = ctx;
    cop *o = &cl->ops[id - 1];
    fl_world_set_detail(w, "op %" PRIu64 " (p%d %s) timed out: info", id, o->process,
                        f_names[o->f]);
    if (cl->cfg.policy == FL_POLICY_STICKY)
        cl->procs[o->process].sticky = 0; /* try another node */
    complete(cl, w, id, FL_CEV_INFO, NULL);
}

static void invoke_action(fl_world *w, void *ctx, uint64_t process)
{
    fl_clients *cl = ctx;
    proc *p = &cl->procs[process];
    cop o = p->next;
    memset(&p->next, 0, sizeof p->next);
    uint64_t id;
    if (invoke(cl, w, &o, &id) != 0) {
        fl_world_finish(w, FL_OUTCOME_ERROR, "clients: out of memory");
        return;
    }
    int64_t now = fl_world_now(w);
    int node = cl->ops[id - 1].node;
    fl_world_at_unless(w, now + cl->ops[id - 1].latency_ns, FL_STEP_CLIENT, node, arrive_action,
                       op_done, cl, id);
    fl_world_at_unless(w, now + cl->cfg.timeout_ns, FL_STEP_CLIENT, 0, timeout_action, op_done, cl,
                       id);
}

/* ---- scripted mode ---- */

int fl_clients_script_check(const fl_clients *cl, const fl_world *w, int node, int process,
                            const fl_client_op *op, char *err, size_t cap)
{
    int kv = cl && cl->cfg.model == FL_MODEL_KV;
    if (!cl || cl->cfg.model == FL_MODEL_NONE) {
        snprintf(err, cap, "client: an operation needs workload.model register or kv");
        return FL_EINVAL;
    }
    if (process < 0 || process >= cl->cfg.processes) {
        snprintf(err, cap, "client: process %d is not in 0..%d (workload.clients)", process,
                 cl->cfg.processes - 1);
        return FL_EINVAL;
    }
    if ((op->f >= FL_CLIENT_GET) != kv) {
        snprintf(err, cap, "client: %s is not an operation of the %s model", f_names[op->f],
                 kv ? "kv" : "register");
        return FL_EINVAL;
    }
    if (cl->procs[process].op) {
        snprintf(err, cap, "client: process %d has op %" PRIu64 " outstanding", process,
                 cl->procs[process].op);
        return FL_EINVAL;
    }
    if (!fl_world_node_up(w, node)) {
        snprintf(err, cap, "client: node %d is down", node);
        return FL_EINVAL;
    }
    return 0;
}

int fl_clients_script_invoke(fl_clients *cl, fl_world *w, int node, int process,
                             const fl_client_op *op, char *err, size_t cap)
{
    int rc = fl_clients_script_check(cl, w, node, process, op, err, cap);
    if (rc)
        return rc;
    int kv = cl->cfg.model == FL_MODEL_KV;
    cop o = {.process = process, .node = node, .f = (uint8_t)op->f, .a = op->a, .b = op->b};
    if (kv) {
        o.key = strndup(op->key, op->key_len);
        o.value = op->f == FL_CLIENT_GET ? NULL : strndup(op->value, op->value_len);
    }
    uint64_t id;
    if (invoke(cl, w, &o, &id) != 0) {
        snprintf(err, cap, "client: out of memory");
        return FL_ENOMEM;
    }
    deliver_request(cl, w, id);
    return 0;
}

const fl_rec_client *fl_clients_last_reply(fl_clients *cl, int process)
{
    if (process < 0 || process >= cl->cfg.processes || !cl->procs[process].has_last)
        return NULL;
    return &cl->procs[process].last;
}

/* ---- life cycle ---- */

fl_clients *fl_clients_new(const fl_scenario *sc, fl_world *w, uint64_t seed, int scripted,
                           const fl_faults *faults)
{
    fl_clients *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->cfg = sc->clients;
    cl->seed = seed;
    cl->nodes = sc->nodes;
    cl->scripted = scripted;
    cl->faults = faults;
    cl->every_ns = sc->workload_every_ns;
    cl->ops_max = sc->workload_ops;
    cl->lat = sc->latency;
    cl->procs = calloc((size_t)cl->cfg.processes, sizeof *cl->procs);
    cl->h = fl_history_new();
    if (!cl->procs || !cl->h) {
        fl_clients_free(cl);
        return NULL;
    }
    fl_world_set_client_hook(w, on_reply, cl);
    if (cl->every_ns > 0)
        for (int p = 0; p < cl->cfg.processes; p++)
            schedule_next(cl, w, p);
    return cl;
}

void fl_clients_free(fl_clients *cl)
{
    if (!cl)
        return;
    for (size_t i = 0; i < cl->nops; i++) {
        free(cl->ops[i].key);
        free(cl->ops[i].value);
    }
    for (int p = 0; p < cl->cfg.processes && cl->procs; p++) {
        free(cl->procs[p].next.key);
        free(cl->procs[p].next.value);
    }
    free(cl->ops);
    free(cl->procs);
    fl_history_free(cl->h);
    free(cl);
}

const fl_history *fl_clients_history(const fl_clients *cl)
{
    return cl->h;
}

/* The violation's detail: the prefix's length and its last operations, the culprit. */
static void violation_detail(fl_clients *cl, const fl_lin_result *lr, char *out, size_t cap)
{
    char desc[160], tail[96] = "";
    size_t t = 0;
    size_t from = lr->prefix_len > 4 ? lr->prefix_len - 4 : 0;
    for (size_t i = from; i < lr->prefix_len && t < sizeof tail; i++)
        t += (size_t)snprintf(tail + t, sizeof tail - t, "%sop %zu", i > from ? ", " : "",
                              lr->prefix[i] + 1);
    size_t c = (size_t)lr->culprit;
    const fl_op *op = fl_history_op(cl->h, c);
    fl_history_describe(cl->h, c, desc, sizeof desc);
    snprintf(out, cap,
             "not linearizable: after a linearizable prefix of %zu operation%s (%s%s), op %zu "
             "(%s, completed at step %" PRId64 ") cannot be linearized",
             lr->prefix_len, lr->prefix_len == 1 ? "" : "s", from ? "..., " : "",
             lr->prefix_len ? tail : "none", c + 1, desc, op->complete_step);
}

static void check_history(fl_clients *cl, fl_world *w, fl_run_result *res)
{
    /* memory bounded too, so that -j workers of a sweep cannot exhaust the machine */
    fl_lin_budget b = {.max_states = cl->cfg.max_states, .max_bytes = 256u << 20};
    fl_lin_result lr;
    int model = cl->cfg.model == FL_MODEL_KV ? FL_LIN_KV : FL_LIN_REGISTER;
    if (fl_lin_check(cl->h, model, &b, &lr) != 0) {
        fl_lin_result_close(&lr);
        if (res->outcome == FL_OUTCOME_OK) {
            res->outcome = FL_OUTCOME_ERROR;
            snprintf(res->check, sizeof res->check, "linearizability");
            snprintf(res->detail, sizeof res->detail, "the checker failed: out of memory");
        }
        return;
    }
    fl_world_metric_add(w, "lin.states", (int64_t)lr.states);
    fl_world_metric_add(w, "lin.unknown", lr.verdict == FL_LIN_UNKNOWN);
    fl_world_metric_add(w, "lin.violation", lr.verdict == FL_LIN_VIOLATION);
    if (res->outcome == FL_OUTCOME_OK && lr.verdict == FL_LIN_VIOLATION) {
        const fl_op *op = fl_history_op(cl->h, (size_t)lr.culprit);
        res->outcome = FL_OUTCOME_VIOLATION;
        snprintf(res->check, sizeof res->check, "linearizability");
        violation_detail(cl, &lr, res->detail, sizeof res->detail);
        res->fail_step = op->complete_step;
        res->fail_time_ns = op->complete_ns;
    } else if (res->outcome == FL_OUTCOME_OK && lr.verdict == FL_LIN_UNKNOWN) {
        snprintf(res->detail, sizeof res->detail,
                 "linearizability unknown: the checker's budget of %" PRIu64
                 " states ran out (checks.max_states)",
                 b.max_states ? b.max_states : (uint64_t)FL_LIN_STATES_DEFAULT);
    }
    fl_lin_result_close(&lr);
}

void fl_clients_finish(fl_clients *cl, fl_world *w, fl_run_result *res)
{
    fl_world_metric_add(w, "clients.ops", (int64_t)cl->nops);
    fl_world_metric_add(w, "clients.ok", (int64_t)cl->n_ok);
    fl_world_metric_add(w, "clients.fail", (int64_t)cl->n_fail);
    fl_world_metric_add(w, "clients.info", (int64_t)cl->n_info);
    fl_world_metric_add(w, "clients.lost", (int64_t)cl->n_lost);
    fl_world_metric_add(w, "clients.late", (int64_t)cl->n_late);
    if (cl->cfg.linearizable)
        check_history(cl, w, res);
}

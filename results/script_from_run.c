/*
 * script_from_run.c -- a recorded run as a scenario with an inline script (see
 * script_from_run.h and docs/script.md).
 *
 * The run's events are read in step order and each step that a node saw becomes one
 * entry: deliveries by message identity (from, to, nth, copy, with the type as a check),
 * timers and forced timeouts as timeouts, crashes, restarts, client requests at the step
 * they reached their node, and completed syncs as {"sync": N} under {"syncs": "hold"}.
 * What no node sees (partitions, heals, clock drift, messages lost or cut) needs no
 * entry: in scripted mode a message nobody delivers simply waits.  Each copy a
 * duplicating network made becomes a duplicate entry right after the step that sent its
 * original, so that copies get the same numbers as in the run.
 *
 * The script's first entry holds syncs from boot on ({"syncs": "hold", "from": "boot"}),
 * so that every sync of the run, the boot's too, completes where it completed there.
 */
#include "results/script_from_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "results/script_scenario.h"
#include "results/state.h"

#define CONV_MAX_PROCESSES 1000 /* workload.clients' limit */

typedef struct conv_msg {
    int src, dst, copy;
    uint32_t nth;
    int64_t sent_step;
    char type[32];
} conv_msg;

typedef struct conv_op {
    int process;
    char *f, *key, *value; /* value: JSON text, or NULL */
} conv_op;

typedef struct conv {
    fl_db *db;
    int64_t run;
    cJSON *scenario; /* scenarios.json */
    int nodes, clients_model;
    int64_t cut, fail_step; /* the last step followed; the failing step or -1 */
    uint64_t seed;
    char outcome[32], check[128];
    conv_msg *msgs; /* by msg_id - 1 */
    size_t nmsgs, next_copy;
    conv_op *ops; /* by op_id - 1 */
    size_t nops;
    unsigned char *up; /* per node */
    int *proc_map;     /* the run's process -> the script's (-1: a fresh one) */
    int nprocs;
    cJSON *script;
    int fail_entry; /* the failing step's entry, or -1 */
    fl_script_info *info;
    int timed; /* entries carry their step's virtual time (fl_script_opts.timed) */
    char *err;
    size_t cap;
} conv;

static char *dup_text(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- reading the run ---- */

static int read_run(conv *c)
{
    fl_db_cursor *cur;
    int rc = fl_db_cursor_open(c->db,
                               "SELECT s.json, r.recorded, r.steps, coalesce(r.fail_step, -1), "
                               "r.outcome, r.seed, coalesce(r.check_name, '') FROM runs r JOIN "
                               "scenarios s ON s.id = r.scenario_id WHERE r.id = ?1",
                               &cur, c->err, c->cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(cur, 1, c->run);
    rc = fl_db_cursor_next(cur, c->err, c->cap);
    if (rc == 0) {
        snprintf(c->err, c->cap, "no run %" PRId64 " in %s", c->run, fl_db_path(c->db));
        rc = FL_ENOTFOUND;
    } else if (rc == 1) {
        const char *rec = fl_db_cursor_text(cur, 1);
        c->scenario = cJSON_Parse(fl_db_cursor_text(cur, 0) ? fl_db_cursor_text(cur, 0) : "");
        c->fail_step = fl_db_cursor_int(cur, 3);
        c->cut = c->fail_step >= 0 ? c->fail_step : fl_db_cursor_int(cur, 2) - 1;
        c->seed = (uint64_t)fl_db_cursor_int(cur, 5);
        snprintf(c->outcome, sizeof c->outcome, "%s",
                 fl_db_cursor_text(cur, 4) ? fl_db_cursor_text(cur, 4) : "");
        snprintf(c->check, sizeof c->check, "%s", fl_db_cursor_text(cur, 6));
        rc = 0;
        if (!rec || strcmp(rec, "all") != 0) {
            snprintf(c->err, c->cap,
                     "run %" PRId64 " is not recorded in full (faultline replay %s %" PRId64
                     " --record records it)",
                     c->run, fl_db_path(c->db), c->run);
            rc = FL_EINVAL;
        } else if (!c->scenario) {
            snprintf(c->err, c->cap, "run %" PRId64 ": its scenario is not JSON", c->run);
            rc = FL_EPARSE;
        }
    }
    fl_db_cursor_close(cur);
    return rc;
}

static const char *scenario_str(const conv *c, const char *sect, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(c->scenario, sect);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int check_scenario(conv *c)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(c->scenario, "nodes");
    const char *mode = scenario_str(c, "network", "mode");
    const char *model = scenario_str(c, "workload", "model");
    c->nodes = cJSON_IsNumber(n) ? n->valueint : 3;
    c->clients_model = model && strcmp(model, "none") != 0;
    if (mode && strcmp(mode, "scripted") == 0) {
        snprintf(c->err, c->cap,
                 "run %" PRId64 " is a scripted run already: its scenario is the script", c->run);
        return FL_EINVAL;
    }
    c->up = calloc((size_t)c->nodes + 1, 1);
    return c->up ? 0 : FL_ENOMEM;
}

/* Make *p hold at least need items of size bytes, doubling, the new ones zeroed.
 * 0, or -1 when out of memory (*p untouched). */
static int grow_zeroed(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    char *q = realloc(*p, ncap * size);
    if (!q)
        return -1;
    memset(q + *cap * size, 0, (ncap - *cap) * size);
    *p = q;
    *cap = ncap;
    return 0;
}

static int read_messages(conv *c)
{
    int with_nth = fl_db_opened_version(c->db) >= 3; /* nth and copy are schema 3 */
    fl_db_cursor *cur;
    int rc = fl_db_cursor_open(
        c->db,
        with_nth ? "SELECT msg_id, src, dst, coalesce(nth, 0), coalesce(copy, 0), sent_step, type "
                   "FROM messages WHERE run_id = ?1 AND sent_step <= ?2 ORDER BY msg_id"
                 : "SELECT msg_id, src, dst, 0, 0, sent_step, type "
                   "FROM messages WHERE run_id = ?1 AND sent_step <= ?2 ORDER BY msg_id",
        &cur, c->err, c->cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(cur, 1, c->run);
    fl_db_cursor_bind_int(cur, 2, c->cut);
    size_t cap = 0;
    while ((rc = fl_db_cursor_next(cur, c->err, c->cap)) == 1) {
        int64_t id = fl_db_cursor_int(cur, 0);
        if (id < 1 || (size_t)id > c->nmsgs + 1000000) {
            snprintf(c->err, c->cap, "run %" PRId64 ": message id %" PRId64 " out of order", c->run,
                     id);
            rc = FL_EPARSE;
            break;
        }
        if (grow_zeroed((void **)&c->msgs, &cap, (size_t)id, sizeof *c->msgs)) {
            rc = FL_ENOMEM;
            break;
        }
        conv_msg *m = &c->msgs[id - 1];
        m->src = (int)fl_db_cursor_int(cur, 1);
        m->dst = (int)fl_db_cursor_int(cur, 2);
        m->nth = (uint32_t)fl_db_cursor_int(cur, 3);
        m->copy = (int)fl_db_cursor_int(cur, 4);
        m->sent_step = fl_db_cursor_int(cur, 5);
        snprintf(m->type, sizeof m->type, "%s",
                 fl_db_cursor_text(cur, 6) ? fl_db_cursor_text(cur, 6) : "");
        if ((size_t)id > c->nmsgs)
            c->nmsgs = (size_t)id;
    }
    fl_db_cursor_close(cur);
    return rc < 0 ? rc : 0;
}

static int read_history(conv *c)
{
    if (!c->clients_model)
        return 0;
    fl_db_cursor *cur;
    int rc = fl_db_cursor_open(c->db,
                               "SELECT op_id, process, f, key, value FROM history "
                               "WHERE run_id = ?1 AND invoke_step <= ?2 ORDER BY op_id",
                               &cur, c->err, c->cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(cur, 1, c->run);
    fl_db_cursor_bind_int(cur, 2, c->cut);
    size_t cap = 0;
    while ((rc = fl_db_cursor_next(cur, c->err, c->cap)) == 1) {
        int64_t id = fl_db_cursor_int(cur, 0);
        if (id != (int64_t)c->nops + 1) {
            snprintf(c->err, c->cap, "run %" PRId64 ": history op %" PRId64 " out of order", c->run,
                     id);
            rc = FL_EPARSE;
            break;
        }
        if (grow_zeroed((void **)&c->ops, &cap, c->nops + 1, sizeof *c->ops)) {
            rc = FL_ENOMEM;
            break;
        }
        conv_op *o = &c->ops[c->nops++];
        o->process = (int)fl_db_cursor_int(cur, 1);
        o->f = dup_text(fl_db_cursor_text(cur, 2));
        o->key = dup_text(fl_db_cursor_text(cur, 3));
        o->value = dup_text(fl_db_cursor_text(cur, 4));
    }
    fl_db_cursor_close(cur);
    return rc < 0 ? rc : 0;
}

/* ---- entries ---- */

static cJSON *add_entry(conv *c)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(c->script, e);
    return e;
}

/* The entries made for one step get its time, when the script is timed. */
static void time_entries(conv *c, int from, int64_t time_ns)
{
    if (!c->timed)
        return;
    int i = 0;
    for (cJSON *e = c->script->child; e; e = e->next, i++)
        if (i >= from)
            cJSON_AddNumberToObject(e, "at_ns", (double)time_ns);
}

static cJSON *add_matcher(conv *c, const char *action, const conv_msg *m, int copy)
{
    cJSON *x = cJSON_AddObjectToObject(add_entry(c), action);
    cJSON_AddNumberToObject(x, "from", m->src);
    cJSON_AddNumberToObject(x, "to", m->dst);
    if (m->type[0])
        cJSON_AddStringToObject(x, "type", m->type);
    if (m->nth)
        cJSON_AddNumberToObject(x, "nth", m->nth);
    if (copy)
        cJSON_AddNumberToObject(x, "copy", copy);
    return x;
}

/* The copies sent up to step: each a duplicate of its original, right after the send. */
static void add_copies(conv *c, int64_t step)
{
    for (; c->next_copy < c->nmsgs && c->msgs[c->next_copy].sent_step <= step; c->next_copy++) {
        const conv_msg *m = &c->msgs[c->next_copy];
        if (m->copy > 0 && m->src) /* src 0: an id the cut left out */
            add_matcher(c, "duplicate", m, 0);
    }
}

static void add_deliver(conv *c, int64_t msg_id)
{
    if (msg_id < 1 || (size_t)msg_id > c->nmsgs || !c->msgs[msg_id - 1].src)
        return; /* not in messages: nothing to name it by */
    const conv_msg *m = &c->msgs[msg_id - 1];
    add_matcher(c, "deliver", m, m->copy);
}

static void add_node_entry(conv *c, const char *action, int node)
{
    cJSON_AddNumberToObject(add_entry(c), action, node);
}

/* A clients' request reaching its node: "op 7 (p2 put) reaches node 3". */
static void add_client_op(conv *c, int node, const char *detail)
{
    uint64_t id;
    int p;
    if (sscanf(detail, "op %" SCNu64 " (p%d", &id, &p) != 2)
        return;
    if (strstr(detail, " timed out")) {
        if (p >= 0 && p < CONV_MAX_PROCESSES)
            c->proc_map[p] = -1; /* in the script it stays outstanding: move on to a fresh one */
        return;
    }
    if (!strstr(detail, ") reaches node ") || id < 1 || id > c->nops)
        return; /* an invocation, or a request lost on its way: the node saw nothing */
    const conv_op *o = &c->ops[id - 1];
    if (o->process < 0 || o->process >= CONV_MAX_PROCESSES)
        return;
    if (c->proc_map[o->process] < 0)
        c->proc_map[o->process] = c->nprocs++;
    cJSON *e = add_entry(c);
    cJSON_AddNumberToObject(e, "client", node);
    cJSON_AddNumberToObject(e, "process", c->proc_map[o->process]);
    cJSON_AddStringToObject(e, "f", o->f ? o->f : "");
    if (o->key)
        cJSON_AddStringToObject(e, "key", o->key);
    cJSON *v = o->value ? cJSON_Parse(o->value) : NULL;
    if (v && !cJSON_IsNull(v))
        cJSON_AddItemToObject(e, "value", v);
    else
        cJSON_Delete(v);
}

/* A clock fault, "clock 3 drift -41984ppm": with --timed only, since drift changes only
 * when timers fire unless the protocol reads its clock, and then times matter too. */
static void add_clock(conv *c, int node, const char *detail)
{
    int n, ppm;
    if (sscanf(detail, "clock %d drift %dppm", &n, &ppm) != 2 || n != node)
        return;
    cJSON *e = add_entry(c);
    cJSON_AddNumberToObject(e, "clock", node);
    cJSON_AddNumberToObject(e, "ppm", ppm);
}

/* One step of the run: its entry, if a node saw it. */
static void add_step(conv *c, int64_t step, const char *kind, int node, int peer, int64_t msg_id,
                     const char *detail, int64_t time_ns)
{
    int valid = node >= 1 && node <= c->nodes, before = cJSON_GetArraySize(c->script);
    if (strcmp(kind, "start") == 0 && valid) {
        if (strcmp(detail, "boot") != 0 && !c->up[node])
            add_node_entry(c, "restart", node);
        c->up[node] = 1;
    } else if (strcmp(kind, "crash") == 0 && valid && c->up[node]) {
        add_node_entry(c, "crash", node);
        c->up[node] = 0;
    } else if ((strcmp(kind, "timer") == 0 || strcmp(kind, "timeout") == 0) && valid &&
               c->up[node]) {
        cJSON *e = add_entry(c);
        cJSON_AddNumberToObject(e, "timeout", node);
        cJSON_AddStringToObject(e, "timer", detail);
    } else if (strcmp(kind, "deliver") == 0 && valid && node != peer &&
               strncmp(detail, "delivered", 9) == 0 && (detail[9] == ' ' || !detail[9])) {
        add_deliver(c, msg_id);
    } else if (strcmp(kind, "synced") == 0 && valid) {
        add_node_entry(c, "sync", node);
    } else if (strcmp(kind, "script") == 0 && valid && c->timed) {
        add_clock(c, node, detail);
    } else if (strcmp(kind, "client") == 0) {
        if (!c->clients_model && valid && c->up[node]) { /* a request to a down node is lost */
            cJSON *e = add_entry(c);
            cJSON_AddNumberToObject(e, "client", node);
            cJSON_AddStringToObject(e, "op", detail);
        } else if (c->clients_model) {
            add_client_op(c, node, detail);
        }
    }
    /* partition, heal, clock, ignored, dropped deliveries and self-sends: no node saw
     * them, or the script driver does them by itself */
    if (step == c->fail_step && cJSON_GetArraySize(c->script) > before)
        c->fail_entry = before;
    add_copies(c, step);
    if (cJSON_GetArraySize(c->script) > before)
        time_entries(c, before, time_ns);
}

static int read_events(conv *c)
{
    fl_db_cursor *cur;
    int rc = fl_db_cursor_open(
        c->db,
        "SELECT step, kind, coalesce(node, 0), coalesce(peer, 0), coalesce(msg_id, 0), "
        "coalesce(detail, ''), time_ns FROM events WHERE run_id = ?1 AND step <= ?2 "
        "ORDER BY step",
        &cur, c->err, c->cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(cur, 1, c->run);
    fl_db_cursor_bind_int(cur, 2, c->cut);
    cJSON *hold = add_entry(c);
    cJSON_AddStringToObject(hold, "syncs", "hold");
    cJSON_AddStringToObject(hold, "from", "boot");
    char why[400];
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(c->scenario, "name");
    snprintf(why, sizeof why,
             "run %" PRId64 " (%s, seed %" PRIu64 "), steps 0..%" PRId64 "%s%s%s%s", c->run,
             cJSON_IsString(name) ? name->valuestring : "?", c->seed, c->cut,
             c->fail_step >= 0 ? ": " : "", c->fail_step >= 0 ? c->outcome : "",
             c->check[0] ? " of " : "", c->check);
    cJSON_AddStringToObject(hold, "comment", why);
    while ((rc = fl_db_cursor_next(cur, c->err, c->cap)) == 1) {
        int64_t step = fl_db_cursor_int(cur, 0);
        const char *kind = fl_db_cursor_text(cur, 1);
        add_step(c, step, kind ? kind : "", (int)fl_db_cursor_int(cur, 2),
                 (int)fl_db_cursor_int(cur, 3), fl_db_cursor_int(cur, 4), fl_db_cursor_text(cur, 5),
                 fl_db_cursor_int(cur, 6));
        c->info->last_step = step;
    }
    fl_db_cursor_close(cur);
    return rc < 0 ? rc : 0;
}

/* ---- expects: every up node's scalars just before the failing step ---- */

static cJSON *node_expect(const char *json, int node)
{
    cJSON *state = cJSON_Parse(json);
    if (!cJSON_IsObject(state)) {
        cJSON_Delete(state); /* "null": the node is down */
        return NULL;
    }
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "node", node);
    for (cJSON *k = state->child; k; k = k->next)
        if (!cJSON_IsArray(k) && !cJSON_IsObject(k) && !cJSON_IsNull(k))
            cJSON_AddItemToObject(x, k->string, cJSON_Duplicate(k, 0));
    cJSON_Delete(state);
    return x;
}

/* The expects go right before the failing step's entry (or at the end); the script is
 * rebuilt around them, because cJSON's insertion has failed us at the last position. */
static void place_expects(conv *c, cJSON *expects, int where)
{
    cJSON *script = cJSON_CreateArray();
    for (int i = 0; c->script->child || expects->child; i++) {
        if (i == where || !c->script->child)
            while (expects->child)
                cJSON_AddItemToArray(script, cJSON_DetachItemFromArray(expects, 0));
        if (c->script->child)
            cJSON_AddItemToArray(script, cJSON_DetachItemFromArray(c->script, 0));
    }
    cJSON_Delete(c->script);
    cJSON_Delete(expects);
    c->script = script;
}

static int add_expects(conv *c)
{
    int64_t at = c->fail_entry >= 0 ? c->fail_step - 1 : c->cut;
    int where = c->fail_entry >= 0 ? c->fail_entry : cJSON_GetArraySize(c->script);
    cJSON *expects = cJSON_CreateArray();
    fl_state_reader *r;
    int rc = fl_state_reader_open(c->db, c->run, &r, c->err, c->cap);
    for (int node = 1; rc == 0 && node <= c->nodes && at >= 0; node++) {
        const char *json;
        int64_t since;
        int got = fl_state_at(r, node, at, &json, &since, c->err, c->cap);
        if (got < 0)
            rc = got;
        cJSON *x = got == 1 ? node_expect(json, node) : NULL;
        if (!x || cJSON_GetArraySize(x) < 2) {
            cJSON_Delete(x);
            continue;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "expect", x);
        cJSON_AddItemToArray(expects, e);
        c->info->expects++;
    }
    fl_state_reader_close(r);
    place_expects(c, expects, where);
    return rc;
}

/* ---- what a script cannot say ---- */

static int64_t metric(conv *c, const char *name)
{
    fl_db_cursor *cur;
    int64_t v = 0;
    if (fl_db_cursor_open(c->db, "SELECT value FROM metrics WHERE run_id = ?1 AND name = ?2", &cur,
                          c->err, c->cap) != 0)
        return 0;
    fl_db_cursor_bind_int(cur, 1, c->run);
    fl_db_cursor_bind_text(cur, 2, name);
    if (fl_db_cursor_next(cur, c->err, c->cap) == 1)
        v = fl_db_cursor_int(cur, 0);
    fl_db_cursor_close(cur);
    return v;
}

static void notes(conv *c)
{
    const char *unsynced = NULL;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(c->scenario, "faults");
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(f, "crash");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(cr, "unsynced");
    if (cJSON_IsString(u))
        unsynced = u->valuestring;
    char *n = c->info->note;
    size_t len = 0, cap = sizeof c->info->note;
    if (unsynced && strcmp(unsynced, "tear") == 0 && metric(c, "faults.crash.with_lost_writes"))
        len += (size_t)snprintf(n + len, cap - len,
                                "torn writes: a crash keeps a prefix of the unsynced bytes drawn "
                                "by its virtual time, which the script's differs from; ");
    if (len < cap && metric(c, "disk.corrupt_reads"))
        len += (size_t)snprintf(n + len, cap - len,
                                "corrupt reads: a scripted run corrupts no read; ");
    if (len >= 2 && len < cap)
        n[len - 2] = '\0';
}

static void conv_close(conv *c)
{
    cJSON_Delete(c->scenario);
    cJSON_Delete(c->script);
    free(c->msgs);
    for (size_t i = 0; i < c->nops; i++) {
        free(c->ops[i].f);
        free(c->ops[i].key);
        free(c->ops[i].value);
    }
    free(c->ops);
    free(c->up);
    free(c->proc_map);
}

int fl_script_from_run(fl_db *db, int64_t run_id, const fl_script_opts *opts, char **out,
                       fl_script_info *info, char *err, size_t cap)
{
    memset(info, 0, sizeof *info);
    *out = NULL;
    conv c = {.db = db,
              .run = run_id,
              .fail_entry = -1,
              .info = info,
              .timed = opts && opts->timed,
              .err = err,
              .cap = cap};
    c.script = cJSON_CreateArray();
    c.proc_map = malloc(CONV_MAX_PROCESSES * sizeof *c.proc_map);
    int rc = c.script && c.proc_map ? 0 : FL_ENOMEM;
    for (int i = 0; rc == 0 && i < CONV_MAX_PROCESSES; i++)
        c.proc_map[i] = -1;
    if (rc == 0)
        rc = read_run(&c);
    if (rc == 0)
        rc = check_scenario(&c);
    if (rc == 0)
        rc = read_messages(&c);
    if (rc == 0)
        rc = read_history(&c);
    if (rc == 0)
        rc = read_events(&c);
    if (rc == 0)
        rc = add_expects(&c);
    if (rc == 0) {
        notes(&c);
        cJSON *sc = fl_script_scenario(c.scenario, c.run, c.clients_model, c.nprocs);
        *out = sc ? fl_script_print(sc, c.script) : NULL;
        cJSON_Delete(sc);
        if (!*out)
            rc = FL_ENOMEM;
        info->entries = (size_t)cJSON_GetArraySize(c.script);
        info->processes = c.nprocs;
    }
    if (rc == FL_ENOMEM)
        snprintf(err, cap, "out of memory");
    conv_close(&c);
    return rc;
}

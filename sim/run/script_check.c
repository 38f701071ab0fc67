/*
 * script_check.c -- the shape of a script (see script.h): an array of objects, each with
 * exactly one known action and only the keys that action takes, node ids in range.
 * Errors name the entry (1-based) and the field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"
#include "sim/run/script.h"
#include "sim/run/script_impl.h"

const char *const fl_script_action_names[A_COUNT] = {"timeout", "deliver", "drop",      "crash",
                                                     "restart", "client",  "stabilize", "expect",
                                                     "sync",    "syncs",   "duplicate", "clock"};
#define action_names fl_script_action_names

/* ---- validation ---- */

typedef struct vctx {
    int nodes;
    size_t idx; /* 1-based */
    char *err;
    size_t cap;
} vctx;

static int vfail(vctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int vfail(vctx *c, const char *field, const char *fmt, ...)
{
    int n =
        snprintf(c->err, c->cap, "script[%zu]%s%s: ", c->idx, field ? "." : "", field ? field : "");
    if (n >= 0 && (size_t)n < c->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return FL_EINVAL;
}

/* A node id in [1, nodes]: 0 when v is not one. */
static int node_id(const cJSON *v, int nodes)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > nodes ||
        v->valuedouble != (double)(int)v->valuedouble)
        return 0;
    return (int)v->valuedouble;
}

static int check_node(vctx *c, const cJSON *v, const char *field)
{
    char buf[64];
    if (!node_id(v, c->nodes))
        return vfail(c, field, "expected a node id in [1,%d], got %s", c->nodes,
                     fl_json_brief(v, buf, sizeof buf));
    return 0;
}

static int check_string(vctx *c, const cJSON *v, const char *field)
{
    char buf[64];
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return vfail(c, field, "expected a non-empty string, got %s",
                     fl_json_brief(v, buf, sizeof buf));
    return 0;
}

/* An integer in [lo, hi]. */
static int in_range(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
           v->valuedouble == (double)(int64_t)v->valuedouble;
}

/* Matchers: from, to, type, and a message's identity on its link: nth (its index among
 * the original sends from `from` to `to`, so it needs both) and copy (0: the original). */
static int check_matcher(vctx *c, const cJSON *m, const char *name)
{
    char field[64], buf[64];
    if (!cJSON_IsObject(m))
        return vfail(c, name, "expected an object such as {\"from\": 1, \"to\": 2}, got %s",
                     fl_json_brief(m, buf, sizeof buf));
    for (const cJSON *k = m->child; k; k = k->next) {
        snprintf(field, sizeof field, "%s.%s", name, k->string);
        int rc = 0;
        for (const cJSON *d = k->next; d; d = d->next)
            if (strcmp(d->string, k->string) == 0)
                return vfail(c, field, "duplicate key");
        if (strcmp(k->string, "from") == 0 || strcmp(k->string, "to") == 0)
            rc = check_node(c, k, field);
        else if (strcmp(k->string, "type") == 0)
            rc = check_string(c, k, field);
        else if (strcmp(k->string, "nth") == 0 && !in_range(k, 1, 4294967295.0))
            rc = vfail(c, field, "expected a send count in [1, 4294967295], got %s",
                       fl_json_brief(k, buf, sizeof buf));
        else if (strcmp(k->string, "copy") == 0 && !in_range(k, 0, 3))
            rc = vfail(c, field, "expected a copy number in [0, 3], got %s",
                       fl_json_brief(k, buf, sizeof buf));
        else if (strcmp(k->string, "nth") != 0 && strcmp(k->string, "copy") != 0)
            rc = vfail(c, field, "unknown key (expected from, to, type, nth or copy)");
        if (rc)
            return rc;
    }
    if (cJSON_GetObjectItemCaseSensitive(m, "nth") &&
        (!cJSON_GetObjectItemCaseSensitive(m, "from") ||
         !cJSON_GetObjectItemCaseSensitive(m, "to")))
        return vfail(c, name, "nth counts sends on one link: it needs from and to");
    return 0;
}

/* {"client": N, "op": "..."} (a raw request) or {"client": N, "process": P, "f": ...}
 * (an operation of workload.model). */
static int check_client(vctx *c, const cJSON *e)
{
    char field[16], msg[160];
    if (!cJSON_GetObjectItemCaseSensitive(e, "f")) {
        static const char *const op_keys[] = {"process", "key", "value"};
        for (int i = 0; i < 3; i++)
            if (cJSON_GetObjectItemCaseSensitive(e, op_keys[i]))
                return vfail(c, op_keys[i], "only an operation (with \"f\") has one");
        return check_string(c, cJSON_GetObjectItemCaseSensitive(e, "op"), "op");
    }
    if (cJSON_GetObjectItemCaseSensitive(e, "op"))
        return vfail(c, "op", "an entry has either \"op\" (a raw request) or \"f\", not both");
    if (fl_script_check_client_op(e, field, sizeof field, msg, sizeof msg) != 0)
        return vfail(c, field, "%s", msg);
    return 0;
}

static int check_expect(vctx *c, const cJSON *x)
{
    char buf[64];
    const cJSON *reply = cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, "reply") : NULL;
    if (reply) {
        char msg[160];
        if (cJSON_GetArraySize(x) != 1)
            return vfail(c, "expect", "a reply is checked alone: {\"reply\": {...}}");
        if (fl_script_check_reply(reply, msg, sizeof msg) != 0)
            return vfail(c, "expect.reply", "%s", msg);
        return 0;
    }
    if (!cJSON_IsObject(x))
        return vfail(c, "expect",
                     "expected an object such as {\"node\": 2, \"role\": "
                     "\"leader\"}, got %s",
                     fl_json_brief(x, buf, sizeof buf));
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(x, "node");
    if (!node)
        return vfail(c, "expect", "missing \"node\"");
    int rc = check_node(c, node, "expect.node");
    if (rc)
        return rc;
    if (cJSON_GetArraySize(x) < 2)
        return vfail(c, "expect", "expected at least one field to check besides \"node\"");
    return 0;
}

/* The entry's action, or -1 with a message. */
static int entry_action(vctx *c, const cJSON *e, int *act)
{
    *act = -1;
    for (const cJSON *k = e->child; k; k = k->next)
        for (const cJSON *d = k->next; d; d = d->next)
            if (strcmp(d->string, k->string) == 0)
                return vfail(c, k->string, "duplicate key");
    for (const cJSON *k = e->child; k; k = k->next) {
        int a = -1;
        for (int i = 0; i < A_COUNT; i++)
            if (strcmp(k->string, action_names[i]) == 0)
                a = i;
        if (a < 0)
            continue;
        if (*act >= 0)
            return vfail(c, NULL, "more than one action (\"%s\" and \"%s\")", action_names[*act],
                         k->string);
        *act = a;
    }
    if (*act < 0)
        return vfail(c, NULL,
                     "expected one action: timeout, deliver, drop, crash, restart, "
                     "client, stabilize, expect, sync, syncs, duplicate or clock");
    for (const cJSON *k = e->child; k; k = k->next) {
        int ok = strcmp(k->string, action_names[*act]) == 0 || strcmp(k->string, "comment") == 0 ||
                 (strcmp(k->string, "at_ns") == 0 && *act != A_EXPECT && *act != A_SYNCS) ||
                 (*act == A_TIMEOUT && strcmp(k->string, "timer") == 0) ||
                 (*act == A_SYNCS && strcmp(k->string, "from") == 0) ||
                 (*act == A_CLOCK && strcmp(k->string, "ppm") == 0) ||
                 (*act == A_CLIENT &&
                  (strcmp(k->string, "op") == 0 || strcmp(k->string, "process") == 0 ||
                   strcmp(k->string, "f") == 0 || strcmp(k->string, "key") == 0 ||
                   strcmp(k->string, "value") == 0));
        if (!ok)
            return vfail(c, k->string, "unknown key for a %s entry", action_names[*act]);
    }
    return 0;
}

/* {"syncs": "hold", "from": "boot"}: the nodes' boot syncs are held too, which only the
 * first entry can ask, since the nodes boot before it. */
static int check_syncs_from(vctx *c, const cJSON *e, const cJSON *v)
{
    char buf[64];
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(e, "from");
    if (!from)
        return 0;
    if (!cJSON_IsString(from) || strcmp(from->valuestring, "boot") != 0)
        return vfail(c, "from", "expected \"boot\", got %s", fl_json_brief(from, buf, sizeof buf));
    if (strcmp(v->valuestring, "hold") != 0)
        return vfail(c, "from", "only \"hold\" goes with \"from\": \"boot\"");
    if (c->idx != 1)
        return vfail(c, "from",
                     "only the first entry can hold syncs from boot (the nodes boot "
                     "before it)");
    return 0;
}

static int check_entry(vctx *c, const cJSON *e)
{
    char buf[64];
    int act, rc;
    if (!cJSON_IsObject(e))
        return vfail(c, NULL, "expected an object, got %s", fl_json_brief(e, buf, sizeof buf));
    if ((rc = entry_action(c, e, &act)) != 0)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, action_names[act]);
    const cJSON *comment = cJSON_GetObjectItemCaseSensitive(e, "comment");
    if (comment && !cJSON_IsString(comment))
        return vfail(c, "comment", "expected a string");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "at_ns");
    if (at && !in_range(at, 0, 4611686018427387904.0))
        return vfail(c, "at_ns", "expected a virtual time in ns, an integer in [0, 2^62], got %s",
                     fl_json_brief(at, buf, sizeof buf));
    switch (act) {
    case A_TIMEOUT:
        rc = check_node(c, v, "timeout");
        if (rc == 0 && cJSON_GetObjectItemCaseSensitive(e, "timer"))
            rc = check_string(c, cJSON_GetObjectItemCaseSensitive(e, "timer"), "timer");
        return rc;
    case A_DELIVER:
    case A_DROP:
    case A_DUPLICATE:
        return check_matcher(c, v, action_names[act]);
    case A_CRASH:
    case A_RESTART:
        return check_node(c, v, action_names[act]);
    case A_CLIENT:
        rc = check_node(c, v, "client");
        return rc ? rc : check_client(c, e);
    case A_STABILIZE:
        if (!cJSON_IsTrue(v))
            return vfail(c, "stabilize", "expected true, got %s",
                         fl_json_brief(v, buf, sizeof buf));
        return 0;
    case A_SYNC:
        return check_node(c, v, "sync");
    case A_CLOCK:
        rc = check_node(c, v, "clock");
        if (rc == 0 && !in_range(cJSON_GetObjectItemCaseSensitive(e, "ppm"), -500000, 500000))
            return vfail(
                c, "ppm",
                "expected a drift in parts per million, an integer in "
                "[-500000, 500000], got %s",
                fl_json_brief(cJSON_GetObjectItemCaseSensitive(e, "ppm"), buf, sizeof buf));
        return rc;
    case A_SYNCS:
        if (!cJSON_IsString(v) ||
            (strcmp(v->valuestring, "hold") != 0 && strcmp(v->valuestring, "immediate") != 0))
            return vfail(c, "syncs", "expected \"hold\" or \"immediate\", got %s",
                         fl_json_brief(v, buf, sizeof buf));
        return check_syncs_from(c, e, v);
    default:
        return check_expect(c, v);
    }
}

int fl_script_validate(const cJSON *script, int nodes, char *err, size_t cap)
{
    if (!cJSON_IsArray(script)) {
        snprintf(err, cap, "script: expected a JSON array of entries");
        return FL_EINVAL;
    }
    vctx c = {.nodes = nodes, .err = err, .cap = cap};
    for (const cJSON *e = script->child; e; e = e->next) {
        c.idx++;
        int rc = check_entry(&c, e);
        if (rc)
            return rc;
    }
    return 0;
}

int fl_script_entry_action(const cJSON *e)
{
    char err[8];
    vctx c = {.nodes = 1 << 30, .err = err, .cap = sizeof err};
    int act;
    entry_action(&c, e, &act);
    return act;
}

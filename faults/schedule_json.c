/*
 * schedule_json.c -- reading a schedule from JSON, validating everything.
 *
 * A schedule file is input from a person or a shrinker, so every defect is an error
 * that names the entry (1-based, as a person counts) and the field, and says what was
 * expected and what was found.  Validation replays crash/restart per node, so a
 * schedule that restarts a node that is up, or crashes one that is down, is refused
 * before the run rather than failing halfway through it.  Timed entries must be in time
 * order: the file is the order in which things happen.  Message entries (format 2)
 * have no time -- they name a message by its identity -- and may stand anywhere.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"
#include "core/faultline.h"
#include "faults/schedule_int.h"

typedef struct pctx {
    int nodes;
    int64_t until_ns;
    char *err;
    size_t cap;
    size_t idx;        /* the entry being read, 1-based */
    uint32_t *crashed; /* [nodes + 1]: 0 when up, else the entry that crashed it */
    int64_t last_at;
    int format; /* 1: a bare array; 2: the object form, which may hold message entries */
    fl_schedule *s;
} pctx;

/* Print "schedule[i].field: <message>" (or "schedule[i]: ..." when field is NULL). */
static int fail(pctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(pctx *c, const char *field, const char *fmt, ...)
{
    int n = snprintf(c->err, c->cap, "schedule[%zu]%s%s: ", c->idx, field ? "." : "",
                     field ? field : "");
    if (n >= 0 && (size_t)n < c->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return FL_EINVAL;
}

static int check_keys(pctx *c, const cJSON *e, const char *const *allowed, const char *kind)
{
    for (const cJSON *k = e->child; k; k = k->next) {
        if (strcmp(k->string, "reached") == 0 || strcmp(k->string, "took_effect") == 0)
            return fail(c, k->string,
                        "a result of a run, never an input (the faults table records it): "
                        "remove it");
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k->string) == 0;
        if (!ok)
            return fail(c, k->string, "unknown key for a %s entry", kind);
        for (const cJSON *d = k->next; d; d = d->next)
            if (strcmp(d->string, k->string) == 0)
                return fail(c, k->string, "duplicate key");
    }
    return 0;
}

static int parse_time(pctx *c, const cJSON *e, int64_t *at)
{
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(e, "at_ns");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "at");
    char buf[64];
    if (ns && a)
        return fail(c, "at", "give either \"at\" or \"at_ns\", not both");
    if (!ns && !a)
        return fail(c, NULL, "missing \"at_ns\" (or \"at\": a duration such as \"1.2s\")");
    const char *field = ns ? "at_ns" : "at";
    if (ns && !fl_schedule_json_int(ns, INT64_MIN / 2, INT64_MAX / 2, at))
        return fail(c, field, "expected an integer number of nanoseconds, got %s",
                    fl_json_brief(ns, buf, sizeof buf));
    if (a && (!cJSON_IsString(a) || fl_parse_duration(a->valuestring, at) != 0))
        return fail(c, field, "expected a duration such as \"1.2s\", got %s",
                    fl_json_brief(a, buf, sizeof buf));
    if (*at < 0 || *at > c->until_ns)
        return fail(c, field, "expected a time within the run [0,%lld] ns, got %lld",
                    (long long)c->until_ns, (long long)*at);
    if (*at < c->last_at)
        return fail(c, field,
                    "entries must be in time order: %lld ns is before the previous "
                    "entry's %lld ns",
                    (long long)*at, (long long)c->last_at);
    return 0;
}

static int parse_name(pctx *c, const cJSON *e, const char *key, char *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    char buf[64];
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !fl_fault_name_ok(v->valuestring))
        return fail(c, key, "expected a name of 1-%d letters, digits, '_', '-' or '.', got %s",
                    FL_FAULT_NAME_MAX - 1, fl_json_brief(v, buf, sizeof buf));
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

/* groups: every node in exactly one non-empty group. */
static int parse_groups(pctx *c, const cJSON *groups, fl_partition *p)
{
    char field[64], buf[64];
    if (!cJSON_IsArray(groups) || cJSON_GetArraySize(groups) == 0)
        return fail(c, "groups", "expected a non-empty array of groups (arrays of node ids)");
    for (int id = 0; id <= c->nodes; id++)
        p->group_of[id] = -1;
    int g = 0;
    for (const cJSON *grp = groups->child; grp; grp = grp->next, g++) {
        snprintf(field, sizeof field, "groups[%d]", g);
        if (!cJSON_IsArray(grp) || !grp->child)
            return fail(c, field, "expected a non-empty array of node ids, got %s",
                        fl_json_brief(grp, buf, sizeof buf));
        int k = 0;
        for (const cJSON *m = grp->child; m; m = m->next, k++) {
            int64_t id;
            snprintf(field, sizeof field, "groups[%d][%d]", g, k);
            if (!fl_schedule_json_int(m, 1, c->nodes, &id))
                return fail(c, field, "expected a node id in [1,%d], got %s", c->nodes,
                            fl_json_brief(m, buf, sizeof buf));
            if (p->group_of[id] >= 0)
                return fail(c, field, "node %d is already in groups[%d]", (int)id,
                            (int)p->group_of[id]);
            p->group_of[id] = g;
        }
    }
    p->ngroups = g;
    for (int id = 1; id <= c->nodes; id++)
        if (p->group_of[id] < 0)
            return fail(c, "groups", "node %d is in no group (every node must be in exactly one)",
                        id);
    p->group_of[0] = 0;
    return 0;
}

static int parse_allow(pctx *c, const cJSON *allow, fl_partition *p)
{
    char field[64], buf[64];
    size_t i = 0;
    for (const cJSON *pair = allow ? allow->child : NULL; pair; pair = pair->next, i++) {
        snprintf(field, sizeof field, "allow[%zu]", i);
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
            return fail(c, field, "expected a pair [from, to] of group indexes, got %s",
                        fl_json_brief(pair, buf, sizeof buf));
        int j = 0;
        for (const cJSON *v = pair->child; v; v = v->next, j++) {
            int64_t gi;
            snprintf(field, sizeof field, "allow[%zu][%d]", i, j);
            if (!fl_schedule_json_int(v, 0, p->ngroups - 1, &gi))
                return fail(c, field, "expected a group index in [0,%d], got %s", p->ngroups - 1,
                            fl_json_brief(v, buf, sizeof buf));
            p->allow[2 * i + (size_t)j] = (int32_t)gi;
        }
    }
    return 0;
}

/* clients: {"<process>": [group, ...], ...}, processes sorted, groups < 64. */
static int parse_clients(pctx *c, const cJSON *m, fl_partition *p)
{
    char field[64], buf[64];
    if (!m)
        return 0;
    if (!cJSON_IsObject(m))
        return fail(c, "clients",
                    "expected an object mapping client processes to group lists, "
                    "such as {\"0\": [1]}");
    size_t n = (size_t)cJSON_GetArraySize(m);
    p->client_process = calloc(n ? n : 1, sizeof *p->client_process);
    p->client_groups = calloc(n ? n : 1, sizeof *p->client_groups);
    if (!p->client_process || !p->client_groups)
        return FL_ENOMEM;
    for (const cJSON *k = m->child; k; k = k->next) {
        char *end;
        long proc = strtol(k->string, &end, 10);
        snprintf(field, sizeof field, "clients.%.40s", k->string);
        if (!k->string[0] || *end || proc < 0 || proc > 2147483647L ||
            (k->string[0] == '0' && k->string[1]))
            return fail(c, field, "expected a client process number as the key");
        if (!cJSON_IsArray(k))
            return fail(c, field, "expected an array of group indexes");
        uint64_t mask = 0;
        for (const cJSON *g = k->child; g; g = g->next) {
            int64_t gi;
            int top = p->ngroups < FL_PARTITION_CLIENT_GROUPS ? p->ngroups - 1
                                                              : FL_PARTITION_CLIENT_GROUPS - 1;
            if (!fl_schedule_json_int(g, 0, top, &gi))
                return fail(c, field, "expected a group index in [0,%d], got %s", top,
                            fl_json_brief(g, buf, sizeof buf));
            mask |= UINT64_C(1) << gi;
        }
        size_t at = p->nclients;
        while (at > 0 && p->client_process[at - 1] > proc)
            at--;
        if (at > 0 && p->client_process[at - 1] == proc)
            return fail(c, field, "process %ld is listed twice", proc);
        memmove(p->client_process + at + 1, p->client_process + at,
                (p->nclients - at) * sizeof *p->client_process);
        memmove(p->client_groups + at + 1, p->client_groups + at,
                (p->nclients - at) * sizeof *p->client_groups);
        p->client_process[at] = (int32_t)proc;
        p->client_groups[at] = mask;
        p->nclients++;
    }
    return 0;
}

static int parse_partition(pctx *c, const cJSON *e, fl_fault *f)
{
    const cJSON *allow = cJSON_GetObjectItemCaseSensitive(e, "allow");
    if (allow && !cJSON_IsArray(allow))
        return fail(c, "allow", "expected an array of [from, to] group index pairs");
    size_t nallow = allow ? (size_t)cJSON_GetArraySize(allow) : 0;
    if (nallow > FL_SCHEDULE_MAX_CELLS)
        return fail(c, "allow", "too many pairs (at most %u)", FL_SCHEDULE_MAX_CELLS);
    f->part = fl_partition_new(c->nodes, nallow, "custom");
    if (!f->part)
        return FL_ENOMEM;
    int rc = parse_name(c, e, "name", f->part->name);
    if (rc == 0)
        rc = parse_groups(c, cJSON_GetObjectItemCaseSensitive(e, "groups"), f->part);
    if (rc == 0)
        rc = parse_allow(c, allow, f->part);
    if (rc == 0)
        rc = parse_clients(c, cJSON_GetObjectItemCaseSensitive(e, "clients"), f->part);
    if (rc == 0)
        rc = fl_partition_finish(f->part);
    return rc;
}

/* An aimed field's error, prefixed with the entry. */
static int aim_failed(pctx *c, const fl_aim_err *ae)
{
    return fail(c, ae->field, "%s", ae->msg);
}

/* {"select": "entry", "entry": K}: entry K must act on a node (not a heal or a
 * partition), so that "the node it acted on" means something. */
static int check_entry_ref(pctx *c, const fl_fault *f, const char *field)
{
    if (f->select != FL_SELECT_ENTRY)
        return 0;
    const fl_fault *t = fl_schedule_entry(c->s, f->select_entry - 1);
    if (t->kind == FL_FAULT_PARTITION || t->kind == FL_FAULT_HEAL)
        return fail(c, field, "entry %u is a %s: it acts on no node", (unsigned)f->select_entry,
                    fl_fault_kind_name(t->kind));
    return 0;
}

/* A partition: groups as written, or built when it fires around "isolate". */
static int parse_any_partition(pctx *c, const cJSON *e, fl_fault *f)
{
    fl_aim_err ae;
    if (!cJSON_GetObjectItemCaseSensitive(e, "isolate")) {
        if (cJSON_GetObjectItemCaseSensitive(e, "with"))
            return fail(c, "with", "only an \"isolate\" partition takes \"with\"");
        int rc = parse_partition(c, e, f);
        if (rc == 0 && fl_aim_parse_fields(e, c->nodes, c->until_ns, c->idx, f, &ae))
            return aim_failed(c, &ae);
        return rc;
    }
    if (cJSON_GetObjectItemCaseSensitive(e, "groups") ||
        cJSON_GetObjectItemCaseSensitive(e, "allow") ||
        cJSON_GetObjectItemCaseSensitive(e, "clients"))
        return fail(c, "isolate", "give either \"isolate\" or \"groups\", not both");
    f->isolate = 1;
    memcpy(f->timer, "isolate", sizeof "isolate"); /* an isolate partition's name */
    int rc = parse_name(c, e, "name", f->timer);
    if (rc == 0 && fl_aim_parse_fields(e, c->nodes, c->until_ns, c->idx, f, &ae))
        return aim_failed(c, &ae);
    return rc ? rc : check_entry_ref(c, f, "isolate");
}

/* Crash and restart follow the up/down state of plain entries only: a selector's
 * target is known when it fires, and a resolved one ("selected") may meet a node that
 * another fault already took down, which a run reports as taking no effect. */
static int check_up_down(pctx *c, fl_fault *f)
{
    if (f->select != FL_SELECT_NONE || f->selected != FL_SELECT_NONE)
        return 0;
    if (f->sync) { /* it may not happen, but its node may be restarted after it */
        c->crashed[f->node] = (uint32_t)c->idx;
        return 0;
    }
    if (f->kind == FL_FAULT_CRASH && c->crashed[f->node])
        return fail(c, "node", "node %d is already down (crashed by schedule[%u])", f->node,
                    c->crashed[f->node]);
    if (f->kind == FL_FAULT_RESTART && !c->crashed[f->node])
        return fail(c, "node", "node %d is up; only a crashed node can restart", f->node);
    if (f->kind == FL_FAULT_CRASH)
        c->crashed[f->node] = (uint32_t)c->idx;
    if (f->kind == FL_FAULT_RESTART)
        c->crashed[f->node] = 0;
    return 0;
}

static int parse_kind_fields(pctx *c, const cJSON *e, fl_fault *f)
{
    static const char *const keys[FL_FAULT_KIND_COUNT][14] = {
        [FL_FAULT_PARTITION] = {"at_ns", "at", "kind", "name", "groups", "allow", "clients",
                                "isolate", "with", "selected", "tag", NULL},
        [FL_FAULT_HEAL] = {"at_ns", "at", "kind", "tag", NULL},
        [FL_FAULT_CRASH] = {"at_ns", "at", "kind", "node", "sync", "within_ns", "sync_id",
                            "selected", "tag", NULL},
        [FL_FAULT_RESTART] = {"at_ns", "at", "kind", "node", "selected", "tag", NULL},
        [FL_FAULT_TIMEOUT] = {"at_ns", "at", "kind", "node", "timer", "selected", "tag", NULL},
        [FL_FAULT_CLOCK] = {"at_ns", "at", "kind", "node", "ppm", "selected", "tag", NULL},
    };
    fl_aim_err ae;
    int rc = check_keys(c, e, keys[f->kind], fl_fault_kind_name(f->kind));
    if (rc == 0)
        rc = parse_time(c, e, &f->at_ns);
    if (rc == 0 && f->kind == FL_FAULT_HEAL &&
        fl_aim_parse_fields(e, c->nodes, c->until_ns, c->idx, f, &ae))
        return aim_failed(c, &ae);
    if (rc != 0 || f->kind == FL_FAULT_HEAL)
        return rc;
    if (f->kind == FL_FAULT_PARTITION)
        return parse_any_partition(c, e, f);
    if (fl_aim_parse_node(e, "node", c->nodes, c->idx, f, &ae) ||
        fl_aim_parse_fields(e, c->nodes, c->until_ns, c->idx, f, &ae))
        return aim_failed(c, &ae);
    if ((rc = check_entry_ref(c, f, "node")) != 0 || (rc = check_up_down(c, f)) != 0)
        return rc;
    if (f->kind == FL_FAULT_TIMEOUT)
        return parse_name(c, e, "timer", f->timer);
    if (f->kind == FL_FAULT_CLOCK) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "ppm");
        int64_t ppm;
        char buf[64];
        if (!fl_schedule_json_int(v, -FL_CLOCK_MAX_PPM, FL_CLOCK_MAX_PPM, &ppm))
            return fail(c, "ppm", "expected a drift in [%d,%d] ppm, got %s", -FL_CLOCK_MAX_PPM,
                        FL_CLOCK_MAX_PPM, fl_json_brief(v, buf, sizeof buf));
        f->ppm = (int32_t)ppm;
    }
    return 0;
}

/* A message entry: {"kind": "drop"|"duplicate"|"delay", "from", "to", "nth"[, "extra_ns"]}. */
static int parse_msg_entry(pctx *c, const cJSON *e, int kind)
{
    static const char *const keys[] = {"kind", "from", "to", "nth", "extra_ns", NULL};
    char buf[64];
    const char *kname = fl_fault_kind_name(kind);
    int rc = check_keys(
        c, e,
        kind == FL_FAULT_DELAY ? keys : (const char *const[]){"kind", "from", "to", "nth", NULL},
        kname);
    if (rc)
        return rc;
    fl_msg_fault m = {.kind = kind, .pos = (uint32_t)c->idx};
    int64_t v;
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(e, "from");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(e, "to");
    const cJSON *nth = cJSON_GetObjectItemCaseSensitive(e, "nth");
    if (!fl_schedule_json_int(from, 1, c->nodes, &v))
        return fail(c, "from", "expected a node id in [1,%d], got %s", c->nodes,
                    fl_json_brief(from, buf, sizeof buf));
    m.from = (int)v;
    if (!fl_schedule_json_int(to, 1, c->nodes, &v))
        return fail(c, "to", "expected a node id in [1,%d], got %s", c->nodes,
                    fl_json_brief(to, buf, sizeof buf));
    m.to = (int)v;
    if (m.to == m.from)
        return fail(c, "to", "a self-send (%d to %d) is never faulted", m.from, m.to);
    if (!fl_schedule_json_int(nth, 1, UINT32_MAX, &v))
        return fail(c, "nth",
                    "expected the message's index among the sends on the link, an integer in "
                    "[1,%u], got %s",
                    UINT32_MAX, fl_json_brief(nth, buf, sizeof buf));
    m.nth = (uint32_t)v;
    if (kind == FL_FAULT_DELAY) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "extra_ns");
        if (!fl_schedule_json_int(x, 0, INT64_C(1) << 53, &v))
            return fail(c, "extra_ns", "expected an extra delay in [0,2^53] ns, got %s",
                        fl_json_brief(x, buf, sizeof buf));
        m.extra_ns = v;
    }
    rc = fl_schedule_push_msg(c->s, &m);
    if (rc == FL_ELIMIT)
        return fail(c, NULL, "too many entries (at most %d)", FL_SCHEDULE_MAX_ENTRIES);
    if (rc != 0)
        snprintf(c->err, c->cap, "schedule: out of memory");
    return rc;
}

static int parse_entry(pctx *c, const cJSON *e)
{
    char buf[64];
    if (!cJSON_IsObject(e))
        return fail(c, NULL, "expected an object, got %s", fl_json_brief(e, buf, sizeof buf));
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
    const char *name = cJSON_IsString(k) ? k->valuestring : "";
    for (int mk = FL_FAULT_DROP; mk <= FL_FAULT_DELAY; mk++) {
        if (strcmp(name, fl_fault_kind_name(mk)) != 0)
            continue;
        if (c->format != 2)
            return fail(c, "kind",
                        "a %s entry needs a format-2 schedule ({\"version\": 2, \"entries\": "
                        "[...]})",
                        name);
        return parse_msg_entry(c, e, mk);
    }
    fl_fault f = {0};
    f.kind = fl_fault_kind_parse(name);
    if (f.kind < 0)
        return fail(c, "kind",
                    "unknown kind %s (expected partition, heal, crash, restart, timeout or "
                    "clock%s)",
                    fl_json_brief(k, buf, sizeof buf),
                    c->format == 2 ? ", or drop, duplicate or delay" : "");
    int rc = parse_kind_fields(c, e, &f);
    if (rc != 0) {
        fl_partition_free(f.part);
        return rc;
    }
    c->last_at = f.at_ns;
    rc = fl_schedule_push(c->s, &f);
    if (rc == FL_ELIMIT)
        return fail(c, NULL, "too many entries or partitions (at most %d entries, %u cells)",
                    FL_SCHEDULE_MAX_ENTRIES, FL_SCHEDULE_MAX_CELLS);
    if (rc != 0)
        snprintf(c->err, c->cap, "schedule: out of memory");
    return rc;
}

/* After the entries: sort the message entries, refusing two for one message that
 * cannot both hold. */
static int finish_msgs(pctx *c)
{
    size_t a, b;
    int rc = fl_schedule_msgs_finish(c->s, &a, &b);
    if (rc == FL_ENOMEM)
        snprintf(c->err, c->cap, "schedule: out of memory");
    if (rc != FL_EINVAL)
        return rc;
    const fl_msg_fault *x = fl_schedule_msg(c->s, a), *y = fl_schedule_msg(c->s, b);
    c->idx = y->pos;
    return fail(c, "kind",
                "message %d->%d #%u already has a %s entry (schedule[%u]); a message has at most "
                "one entry of each kind, and a dropped one no other",
                y->from, y->to, (unsigned)y->nth, fl_fault_kind_name(x->kind), (unsigned)x->pos);
}

int fl_schedule_from_json(const cJSON *arr, int nodes, int64_t until_ns, fl_schedule **out,
                          char *err, size_t cap)
{
    *out = NULL;
    if (nodes < 1 || nodes > FL_MAX_NODES) {
        snprintf(err, cap, "schedule: bad node count %d", nodes);
        return FL_EINVAL;
    }
    int format = 1, messages_only = 0;
    const cJSON *ops = NULL;
    if (cJSON_IsObject(arr)) {
        ops = cJSON_GetObjectItemCaseSensitive(arr, "ops");
        int rc = fl_schedule_parse_header(arr, &arr, &messages_only, err, cap);
        if (rc)
            return rc;
        format = 2;
    } else if (!cJSON_IsArray(arr)) {
        snprintf(err, cap,
                 "schedule: expected a JSON array of fault entries (format 1) or an "
                 "object {\"version\": 2, \"entries\": [...]} (format 2)");
        return FL_EINVAL;
    }
    pctx c = {.nodes = nodes, .until_ns = until_ns, .err = err, .cap = cap, .format = format};
    c.crashed = calloc((size_t)nodes + 1, sizeof *c.crashed);
    c.s = fl_schedule_new_empty(nodes);
    int rc = 0;
    if (!c.crashed || !c.s) {
        snprintf(err, cap, "schedule: out of memory");
        rc = FL_ENOMEM;
    }
    if (rc == 0) {
        c.s->format = format;
        c.s->messages_only = messages_only;
        if (ops)
            rc = fl_schedule_parse_ops(ops, c.s, err, cap);
    }
    for (const cJSON *e = rc ? NULL : arr->child; e && rc == 0; e = e->next) {
        c.idx++;
        rc = parse_entry(&c, e);
    }
    if (rc == 0)
        rc = finish_msgs(&c);
    free(c.crashed);
    if (rc != 0) {
        fl_schedule_free(c.s);
        return rc;
    }
    *out = c.s;
    return 0;
}

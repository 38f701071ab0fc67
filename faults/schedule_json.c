/*
 * schedule_json.c -- reading a schedule from JSON, validating everything.
 *
 * A schedule file is input from a person or a shrinker, so every defect is an error
 * that names the entry (1-based, as a person counts) and the field, and says what was
 * expected and what was found.  Validation replays crash/restart per node, so a
 * schedule that restarts a node that is up, or crashes one that is down, is refused
 * before the run rather than failing halfway through it.  Entries must be in time
 * order: the file is the order in which things happen.
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

/* An integral JSON number in [lo, hi]. */
static int get_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d)
        return 0;
    *out = (int64_t)d;
    return 1;
}

static int check_keys(pctx *c, const cJSON *e, const char *const *allowed, const char *kind)
{
    for (const cJSON *k = e->child; k; k = k->next) {
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
    if (ns && !get_int(ns, INT64_MIN / 2, INT64_MAX / 2, at))
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

static int parse_node(pctx *c, const cJSON *e, int *node)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "node");
    int64_t id;
    char buf[64];
    if (!get_int(v, 1, c->nodes, &id))
        return fail(c, "node", "expected a node id in [1,%d], got %s", c->nodes,
                    fl_json_brief(v, buf, sizeof buf));
    *node = (int)id;
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
            if (!get_int(m, 1, c->nodes, &id))
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
            if (!get_int(v, 0, p->ngroups - 1, &gi))
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
            if (!get_int(g, 0, top, &gi))
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

static int parse_kind_fields(pctx *c, const cJSON *e, fl_fault *f)
{
    static const char *const keys[FL_FAULT_KIND_COUNT][8] = {
        [FL_FAULT_PARTITION] = {"at_ns", "at", "kind", "name", "groups", "allow", "clients", NULL},
        [FL_FAULT_HEAL] = {"at_ns", "at", "kind", NULL},
        [FL_FAULT_CRASH] = {"at_ns", "at", "kind", "node", NULL},
        [FL_FAULT_RESTART] = {"at_ns", "at", "kind", "node", NULL},
        [FL_FAULT_TIMEOUT] = {"at_ns", "at", "kind", "node", "timer", NULL},
        [FL_FAULT_CLOCK] = {"at_ns", "at", "kind", "node", "ppm", NULL},
    };
    int rc = check_keys(c, e, keys[f->kind], fl_fault_kind_name(f->kind));
    if (rc == 0)
        rc = parse_time(c, e, &f->at_ns);
    if (rc != 0 || f->kind == FL_FAULT_HEAL)
        return rc;
    if (f->kind == FL_FAULT_PARTITION)
        return parse_partition(c, e, f);
    if ((rc = parse_node(c, e, &f->node)) != 0)
        return rc;
    if (f->kind == FL_FAULT_CRASH && c->crashed[f->node])
        return fail(c, "node", "node %d is already down (crashed by schedule[%u])", f->node,
                    c->crashed[f->node]);
    if (f->kind == FL_FAULT_RESTART && !c->crashed[f->node])
        return fail(c, "node", "node %d is up; only a crashed node can restart", f->node);
    if (f->kind == FL_FAULT_CRASH)
        c->crashed[f->node] = (uint32_t)c->idx;
    if (f->kind == FL_FAULT_RESTART)
        c->crashed[f->node] = 0;
    if (f->kind == FL_FAULT_TIMEOUT)
        return parse_name(c, e, "timer", f->timer);
    if (f->kind == FL_FAULT_CLOCK) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "ppm");
        int64_t ppm;
        char buf[64];
        if (!get_int(v, -FL_CLOCK_MAX_PPM, FL_CLOCK_MAX_PPM, &ppm))
            return fail(c, "ppm", "expected a drift in [%d,%d] ppm, got %s", -FL_CLOCK_MAX_PPM,
                        FL_CLOCK_MAX_PPM, fl_json_brief(v, buf, sizeof buf));
        f->ppm = (int32_t)ppm;
    }
    return 0;
}

static int parse_entry(pctx *c, const cJSON *e)
{
    char buf[64];
    if (!cJSON_IsObject(e))
        return fail(c, NULL, "expected an object, got %s", fl_json_brief(e, buf, sizeof buf));
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
    fl_fault f = {0};
    f.kind = cJSON_IsString(k) ? fl_fault_kind_parse(k->valuestring) : -1;
    if (f.kind < 0)
        return fail(c, "kind",
                    "unknown kind %s (expected partition, heal, crash, restart, timeout or "
                    "clock)",
                    fl_json_brief(k, buf, sizeof buf));
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

int fl_schedule_from_json(const cJSON *arr, int nodes, int64_t until_ns, fl_schedule **out,
                          char *err, size_t cap)
{
    *out = NULL;
    if (nodes < 1 || nodes > FL_MAX_NODES) {
        snprintf(err, cap, "schedule: bad node count %d", nodes);
        return FL_EINVAL;
    }
    if (!cJSON_IsArray(arr)) {
        snprintf(err, cap, "schedule: expected a JSON array of fault entries");
        return FL_EINVAL;
    }
    pctx c = {.nodes = nodes, .until_ns = until_ns, .err = err, .cap = cap};
    c.crashed = calloc((size_t)nodes + 1, sizeof *c.crashed);
    c.s = fl_schedule_new_empty(nodes);
    int rc = 0;
    if (!c.crashed || !c.s) {
        snprintf(err, cap, "schedule: out of memory");
        rc = FL_ENOMEM;
    }
    for (const cJSON *e = rc ? NULL : arr->child; e && rc == 0; e = e->next) {
        c.idx++;
        rc = parse_entry(&c, e);
    }
    free(c.crashed);
    if (rc != 0) {
        fl_schedule_free(c.s);
        return rc;
    }
    *out = c.s;
    return 0;
}

/* Line and column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n')
            (*line)++, *col = 1;
        else
            (*col)++;
    }
}

int fl_schedule_parse(const char *text, size_t len, int nodes, int64_t until_ns, fl_schedule **out,
                      char *err, size_t cap)
{
    *out = NULL;
    const char *end = NULL;
    int line, col;
    cJSON *arr = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!arr) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        line_col(text, off, &line, &col);
        snprintf(err, cap, "schedule: malformed JSON at line %d, column %d", line, col);
        return FL_EPARSE;
    }
    size_t off = (size_t)(end - text);
    while (off < len &&
           (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' || text[off] == '\r'))
        off++;
    if (off < len) {
        cJSON_Delete(arr);
        line_col(text, off, &line, &col);
        snprintf(err, cap, "schedule: unexpected text after the JSON at line %d, column %d", line,
                 col);
        return FL_EPARSE;
    }
    int rc = fl_schedule_from_json(arr, nodes, until_ns, out, err, cap);
    cJSON_Delete(arr);
    return rc;
}

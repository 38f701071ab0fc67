/*
 * schedule_aim.c -- the fields of aimed entries (issue 16): selectors, sync crashes,
 * partitions built around a node, tags; reading them from JSON and writing them back.
 *
 * A selector binds an entry's target when it fires ("node": {"select": "leader"}); the
 * schedule itself stays plain data fixed before the run.  Once a run has resolved it, the
 * entry is written back with a plain node and "selected" naming the selector, so that
 * replay, shrink and --write-schedule see a node id, and the up/down checks of the parser
 * (which can only follow plain entries) skip it.  Errors come back as a field name and a
 * message; schedule_json.c prefixes them with the entry.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"
#include "faults/schedule_int.h"

static const char *const select_names[FL_SELECT_COUNT] = {NULL,        "leader",      "follower",
                                                          "random-up", "last-leader", "entry"};

const char *fl_select_name(int select)
{
    return select > 0 && select < FL_SELECT_COUNT ? select_names[select] : NULL;
}

int fl_select_parse(const char *name)
{
    for (int k = 1; k < FL_SELECT_COUNT; k++)
        if (strcmp(name, select_names[k]) == 0)
            return k;
    return -1;
}

static int aim_fail(fl_aim_err *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int aim_fail(fl_aim_err *e, const char *field, const char *fmt, ...)
{
    snprintf(e->field, sizeof e->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return FL_EINVAL;
}

/* {"select": NAME} or {"select": "entry", "entry": K} with K an earlier entry. */
static int parse_selector(const cJSON *v, const char *field, size_t idx, fl_fault *f, fl_aim_err *e)
{
    char buf[64], sub[48];
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(v, "select");
    const cJSON *ent = cJSON_GetObjectItemCaseSensitive(v, "entry");
    for (const cJSON *k = v->child; k; k = k->next)
        if (strcmp(k->string, "select") && strcmp(k->string, "entry")) {
            snprintf(sub, sizeof sub, "%s.%.20s", field, k->string);
            return aim_fail(e, sub, "unknown key for a selector (expected select, entry)");
        }
    snprintf(sub, sizeof sub, "%s.select", field);
    int k = cJSON_IsString(sel) ? fl_select_parse(sel->valuestring) : -1;
    if (k < 0)
        return aim_fail(e, sub,
                        "expected \"leader\", \"follower\", \"random-up\", \"last-leader\" or "
                        "\"entry\", got %s",
                        sel ? fl_json_brief(sel, buf, sizeof buf) : "nothing");
    snprintf(sub, sizeof sub, "%s.entry", field);
    if (k != FL_SELECT_ENTRY && ent)
        return aim_fail(e, sub, "only {\"select\": \"entry\"} names an entry");
    int64_t n = 0;
    if (k == FL_SELECT_ENTRY && !fl_schedule_json_int(ent, 1, (int64_t)idx - 1, &n))
        return aim_fail(e, sub, "expected an earlier entry's number in [1,%zu], got %s", idx - 1,
                        ent ? fl_json_brief(ent, buf, sizeof buf) : "nothing");
    f->select = k;
    f->select_entry = (uint32_t)n;
    f->node = 0;
    return 0;
}

int fl_aim_parse_node(const cJSON *entry, const char *key, int nodes, size_t idx, fl_fault *f,
                      fl_aim_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, key);
    char buf[64];
    int64_t id;
    if (cJSON_IsObject(v))
        return parse_selector(v, key, idx, f, e);
    if (!fl_schedule_json_int(v, 1, nodes, &id))
        return aim_fail(e, key, "expected a node id in [1,%d], got %s", nodes,
                        fl_json_brief(v, buf, sizeof buf));
    f->node = (int)id;
    return 0;
}

/* A selected entry refers to an earlier one only when it was unresolved; resolved, it
 * is plain: "selected" only says that the run chose it. */
static int parse_selected(const cJSON *entry, fl_fault *f, fl_aim_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, "selected");
    char buf[64];
    if (!v)
        return 0;
    int k = cJSON_IsString(v) ? fl_select_parse(v->valuestring) : -1;
    if (k < 0)
        return aim_fail(e, "selected", "expected the name of a selector, got %s",
                        fl_json_brief(v, buf, sizeof buf));
    if (f->select != FL_SELECT_NONE || (f->kind == FL_FAULT_PARTITION && f->isolate))
        return aim_fail(e, "selected",
                        "a resolved entry names its target plainly (no selector with it)");
    f->selected = k;
    return 0;
}

static int parse_sync(const cJSON *entry, int64_t until_ns, fl_fault *f, fl_aim_err *e)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(entry, "sync");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(entry, "within_ns");
    char buf[64];
    if (!s && !w && !cJSON_GetObjectItemCaseSensitive(entry, "sync_id"))
        return 0;
    if (!s)
        return aim_fail(e, "within_ns", "only a sync crash (\"sync\") waits within a time");
    if (!cJSON_IsString(s) || (strcmp(s->valuestring, "before") && strcmp(s->valuestring, "after")))
        return aim_fail(e, "sync", "expected \"before\" or \"after\", got %s",
                        fl_json_brief(s, buf, sizeof buf));
    f->sync = strcmp(s->valuestring, "before") == 0 ? FL_SYNC_BEFORE : FL_SYNC_AFTER;
    f->within_ns = FL_AIM_WITHIN_DEFAULT_NS;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(entry, "sync_id");
    int64_t v = 0;
    if (id && !fl_schedule_json_int(id, 1, INT64_C(1) << 53, &v))
        return aim_fail(e, "sync_id", "expected the node's sync number, an integer >= 1, got %s",
                        fl_json_brief(id, buf, sizeof buf));
    f->sync_id = (uint64_t)v;
    if (w && !fl_schedule_json_int(w, 1, until_ns > 0 ? until_ns : 1, &f->within_ns))
        return aim_fail(e, "within_ns", "expected a time in [1,%lld] ns, got %s",
                        (long long)(until_ns > 0 ? until_ns : 1),
                        fl_json_brief(w, buf, sizeof buf));
    return 0;
}

int fl_aim_parse_fields(const cJSON *entry, int nodes, int64_t until_ns, size_t idx, fl_fault *f,
                        fl_aim_err *e)
{
    char buf[64];
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(entry, "tag");
    if (tag && (!cJSON_IsString(tag) || !fl_fault_name_ok(tag->valuestring)))
        return aim_fail(e, "tag",
                        "expected a name of 1-%d letters, digits, '_', '-' or '.', got %s",
                        FL_FAULT_NAME_MAX - 1, fl_json_brief(tag, buf, sizeof buf));
    if (tag)
        memcpy(f->tag, tag->valuestring, strlen(tag->valuestring) + 1);
    if (f->kind == FL_FAULT_PARTITION && f->isolate) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(entry, "with");
        int64_t with = 0;
        int top = nodes >= 2 ? nodes - 2 : 0;
        if (w && !fl_schedule_json_int(w, 0, top, &with))
            return aim_fail(e, "with", "expected how many other nodes join it, in [0,%d], got %s",
                            top, fl_json_brief(w, buf, sizeof buf));
        if (nodes < 2)
            return aim_fail(e, "isolate", "a partition needs at least 2 nodes");
        f->with = (int)with;
        int rc = fl_aim_parse_node(entry, "isolate", nodes, idx, f, e);
        if (rc)
            return rc;
    }
    int rc = parse_selected(entry, f, e);
    if (rc == 0 && f->kind == FL_FAULT_CRASH)
        rc = parse_sync(entry, until_ns, f, e);
    return rc;
}

/* ---- writing ---- */

void fl_aim_put_node(fl_sbuf *b, const char *key, const fl_fault *f)
{
    if (f->select == FL_SELECT_ENTRY)
        fl_sbuf_putf(b, ",\"%s\":{\"select\":\"entry\",\"entry\":%u}", key,
                     (unsigned)f->select_entry);
    else if (f->select != FL_SELECT_NONE)
        fl_sbuf_putf(b, ",\"%s\":{\"select\":\"%s\"}", key, fl_select_name(f->select));
    else
        fl_sbuf_putf(b, ",\"%s\":%d", key, f->node);
}

void fl_aim_put_tail(fl_sbuf *b, const fl_fault *f)
{
    if (f->kind == FL_FAULT_PARTITION && f->isolate)
        fl_sbuf_putf(b, ",\"with\":%d", f->with);
    if (f->sync)
        fl_sbuf_putf(b, ",\"sync\":\"%s\",\"within_ns\":%lld",
                     f->sync == FL_SYNC_BEFORE ? "before" : "after", (long long)f->within_ns);
    if (f->sync && f->sync_id)
        fl_sbuf_putf(b, ",\"sync_id\":%llu", (unsigned long long)f->sync_id);
    if (f->selected)
        fl_sbuf_putf(b, ",\"selected\":\"%s\"", fl_select_name(f->selected));
    if (f->tag[0]) /* tags are plain names: no escaping */
        fl_sbuf_putf(b, ",\"tag\":\"%s\"", f->tag);
}

void fl_sbuf_entry_resolved(fl_sbuf *b, const fl_fault *f, int node, const fl_partition *part,
                            uint64_t sync_id)
{
    fl_fault r = *f;
    if (f->sync && sync_id) /* the very sync it struck, so that a replay strikes it again */
        r.sync_id = sync_id;
    if (f->kind == FL_FAULT_PARTITION && f->isolate && part) {
        r.selected = f->select ? f->select : FL_SELECT_NONE;
        r.isolate = 0;
        r.select = FL_SELECT_NONE;
        r.part = (fl_partition *)part; /* only read */
    } else if (f->kind != FL_FAULT_PARTITION && f->select && node > 0) {
        r.selected = f->select;
        r.select = FL_SELECT_NONE;
        r.select_entry = 0;
        r.node = node;
    }
    fl_sbuf_entry(b, &r);
}

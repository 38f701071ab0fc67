/*
 * schedule_doc.c -- the document around a schedule's entries: the text parsed as JSON
 * (errors at line and column), format 2's header ("version", "entries", "messages") and
 * its "ops" list.  The entries themselves are schedule_json.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"
#include "faults/schedule_int.h"

/* An integral JSON number in [lo, hi]. */
int fl_schedule_json_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d)
        return 0;
    *out = (int64_t)d;
    return 1;
}

/* The object form: {"version": 2, "entries": [...], "messages": "seed" | "only"}.
 * Sets *entries to the array and c's format and the schedule's messages mode. */
int fl_schedule_parse_header(const cJSON *root, const cJSON **entries, int *messages_only,
                             char *err, size_t cap)
{
    char buf[64];
    for (const cJSON *k = root->child; k; k = k->next) {
        if (strcmp(k->string, "version") && strcmp(k->string, "entries") &&
            strcmp(k->string, "messages") && strcmp(k->string, "ops")) {
            /* the key as a JSON string: escaped, whatever bytes it holds */
            cJSON *name = cJSON_CreateString(k->string);
            snprintf(err, cap,
                     "schedule: unknown key %s (expected version, entries, messages, ops)",
                     fl_json_brief(name, buf, sizeof buf));
            cJSON_Delete(name);
            return FL_EINVAL;
        }
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "messages");
    *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (!v) {
        snprintf(err, cap,
                 "schedule.version: missing (an object schedule is format 2: "
                 "\"version\": 2; a bare array is format 1)");
        return FL_EINVAL;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != 2) {
        snprintf(err, cap, "schedule.version: expected 2, got %s",
                 fl_json_brief(v, buf, sizeof buf));
        return FL_EINVAL;
    }
    if (!cJSON_IsArray(*entries)) {
        snprintf(err, cap, "schedule.entries: expected an array of fault entries, got %s",
                 *entries ? fl_json_brief(*entries, buf, sizeof buf) : "nothing");
        return FL_EINVAL;
    }
    *messages_only = 0;
    if (m && (!cJSON_IsString(m) ||
              (strcmp(m->valuestring, "seed") && strcmp(m->valuestring, "only")))) {
        snprintf(err, cap, "schedule.messages: expected \"seed\" or \"only\", got %s",
                 fl_json_brief(m, buf, sizeof buf));
        return FL_EINVAL;
    }
    *messages_only = m && strcmp(m->valuestring, "only") == 0;
    return 0;
}

/* Format 2's "ops": an array of op numbers >= 1, each greater than the one before. */
int fl_schedule_parse_ops(const cJSON *ops, fl_schedule *s, char *err, size_t cap)
{
    char buf[64];
    if (!cJSON_IsArray(ops)) {
        snprintf(err, cap, "schedule.ops: expected an array of workload op numbers, got %s",
                 fl_json_brief(ops, buf, sizeof buf));
        return FL_EINVAL;
    }
    size_t n = (size_t)cJSON_GetArraySize(ops), i = 0;
    if (n > FL_SCHEDULE_MAX_ENTRIES) {
        snprintf(err, cap, "schedule.ops: %zu ops, more than the %d a schedule may name", n,
                 FL_SCHEDULE_MAX_ENTRIES);
        return FL_ELIMIT;
    }
    s->ops = malloc((n ? n : 1) * sizeof *s->ops);
    if (!s->ops) {
        snprintf(err, cap, "schedule: out of memory");
        return FL_ENOMEM;
    }
    for (const cJSON *v = ops->child; v; v = v->next, i++) {
        int64_t op;
        int64_t lo = i ? (int64_t)s->ops[i - 1] + 1 : 1;
        if (!fl_schedule_json_int(v, lo, INT64_MAX / 2, &op)) {
            snprintf(err, cap,
                     "schedule.ops[%zu]: expected an op number >= %lld (ascending), got %s", i + 1,
                     (long long)lo, fl_json_brief(v, buf, sizeof buf));
            return FL_EINVAL;
        }
        s->ops[i] = (uint64_t)op;
    }
    s->nops = n;
    s->has_ops = 1;
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

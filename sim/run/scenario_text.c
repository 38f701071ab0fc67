/*
 * scenario_text.c -- from bytes to a validated scenario: reading the file, JSON syntax
 * errors with line and column, --set overrides, and the rules that make sc->json
 * canonical (no duplicate keys; params' keys sorted; sections in a fixed order).
 *
 * Messages start with a label: the file's path for fl_scenario_load, "scenario" for
 * fl_scenario_parse, "--set" for a malformed override.  So the command line can print
 * "faultline: raft.json: network.drop: expected a probability in [0,1], got 1.5".
 *
 * Recursion: the walks over whole JSON values (duplicate keys, key sorting) recurse
 * once per nesting level; cJSON refuses documents nested deeper than
 * CJSON_NESTING_LIMIT (1000), which bounds the depth.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/run/scenario.h"
#include "sim/run/scenario_impl.h"

#define MAX_SET_TOKENS 32

/* ---- messages and paths ---- */

int fl_sc_fail(fl_sc_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->plen > 0)
        snprintf(c->err, c->cap, "%s: %s: %s", c->label, c->path, msg);
    else
        snprintf(c->err, c->cap, "%s: %s", c->label, msg);
    return FL_EINVAL;
}

static size_t push(fl_sc_ctx *c, int n)
{
    size_t old = c->plen;
    c->plen = n < 0 ? old : old + (size_t)n;
    if (c->plen >= sizeof c->path) /* cut long paths: they only go into a message */
        c->plen = sizeof c->path - 1;
    return old;
}

/* Control bytes of a key as \xNN, so that a newline in a key cannot break an error's
 * one line. */
static void escape_key(const char *key, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p && n + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
        else
            out[n++] = (char)*p;
    }
    out[n] = '\0';
}

size_t fl_sc_push_key(fl_sc_ctx *c, const char *key)
{
    char k[sizeof c->path];
    escape_key(key, k, sizeof k);
    size_t room = sizeof c->path - c->plen;
    return push(c, snprintf(c->path + c->plen, room, "%s%s", c->plen ? "." : "", k));
}

size_t fl_sc_push_index(fl_sc_ctx *c, size_t i)
{
    return push(c, snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i));
}

void fl_sc_pop(fl_sc_ctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

const char *fl_sc_show(const cJSON *v, char *buf, size_t cap)
{
    char *s = cJSON_IsNumber(v) && !isfinite(v->valuedouble) ? NULL : cJSON_PrintUnformatted(v);
    if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
        snprintf(buf, cap, "a number too large");
    else if (s == NULL)
        snprintf(buf, cap, "(a value)");
    else if (strlen(s) > 60)
        snprintf(buf, cap, "%.57s...", s);
    else
        snprintf(buf, cap, "%s", s);
    free(s);
    return buf;
}

/* ---- canonical form ---- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key that occurs twice in obj, or NULL.  Sorting makes large objects O(n log n). */
static const char *duplicate_key(const cJSON *obj, int *oom)
{
    size_t n = 0, i = 0;
    const char *dup = NULL;
    for (const cJSON *it = obj->child; it != NULL; it = it->next)
        n++;
    if (n <= 16) {
        for (const cJSON *a = obj->child; a != NULL && dup == NULL; a = a->next)
            for (const cJSON *b = a->next; b != NULL && dup == NULL; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    dup = a->string;
        return dup;
    }
    const char **names = malloc(n * sizeof *names);
    if (names == NULL) {
        *oom = 1;
        return NULL;
    }
    for (const cJSON *it = obj->child; it != NULL; it = it->next)
        names[i++] = it->string;
    qsort(names, n, sizeof *names, cmp_names);
    for (i = 1; i < n && dup == NULL; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            dup = names[i];
    free(names);
    return dup;
}

/* JSON allows duplicate keys but does not say which one wins (cJSON reads the first);
 * a scenario must mean one thing, so they are errors. */
static int check_unique_keys(fl_sc_ctx *c, const cJSON *v)
{
    int oom = 0;
    const char *dup = cJSON_IsObject(v) ? duplicate_key(v, &oom) : NULL;
    if (oom)
        return FL_ENOMEM;
    if (dup != NULL)
        return fl_sc_fail(c, "duplicate key \"%.60s\"", dup);
    size_t i = 0;
    for (const cJSON *it = v->child; it != NULL; it = it->next, i++) {
        size_t old = it->string ? fl_sc_push_key(c, it->string) : fl_sc_push_index(c, i);
        int rc = check_unique_keys(c, it);
        if (rc)
            return rc;
        fl_sc_pop(c, old);
    }
    return 0;
}

/* Merge sort of a sibling list by key; keys are unique, so the order is total. */
static cJSON *sort_list(cJSON *head, size_t n)
{
    if (n < 2)
        return head;
    cJSON *mid = head;
    for (size_t i = 1; i < n / 2; i++)
        mid = mid->next;
    cJSON *right = mid->next;
    mid->next = NULL;
    cJSON *a = sort_list(head, n / 2), *b = sort_list(right, n - n / 2);
    cJSON merged = {0}, *tail = &merged;
    while (a != NULL && b != NULL) {
        cJSON **pick = strcmp(a->string, b->string) <= 0 ? &a : &b;
        tail->next = *pick;
        tail = *pick;
        *pick = (*pick)->next;
    }
    tail->next = a ? a : b;
    return merged.next;
}

void fl_sc_sort_keys(cJSON *v)
{
    size_t n = 0;
    for (cJSON *it = v ? v->child : NULL; it != NULL; it = it->next, n++)
        fl_sc_sort_keys(it);
    if (!cJSON_IsObject(v) || n < 2)
        return;
    v->child = sort_list(v->child, n);
    /* cJSON's list invariant: prev links back, and the first element's prev is the last */
    cJSON *prev = NULL;
    for (cJSON *it = v->child; it != NULL; it = it->next) {
        it->prev = prev;
        prev = it;
    }
    v->child->prev = prev;
}

void fl_sc_order_keys(cJSON *obj, const char *const *keys, size_t n)
{
    /* detaching and appending keeps each item's key string: no allocation */
    for (size_t i = 0; i < n; i++) {
        cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(obj, keys[i]);
        if (it != NULL)
            cJSON_AddItemToArray(obj, it);
    }
}

/* ---- JSON text ---- */

static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static int parse_json(fl_sc_ctx *c, const char *text, size_t len, cJSON **doc)
{
    const char *end = NULL;
    int line, col;
    *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t off = end && end >= text ? (size_t)(end - text) : 0;
    if (off > len)
        off = len;
    if (*doc == NULL) {
        line_col(text, off, &line, &col);
        fl_sc_fail(c, "malformed JSON at line %d, column %d", line, col);
        return FL_EPARSE;
    }
    while (off < len && strchr(" \t\r\n", text[off]) != NULL && text[off] != '\0')
        off++;
    if (off < len) {
        line_col(text, off, &line, &col);
        fl_sc_fail(c, "trailing characters after the JSON at line %d, column %d", line, col);
        cJSON_Delete(*doc);
        *doc = NULL;
        return FL_EPARSE;
    }
    return 0;
}

/* ---- --set PATH=VALUE ---- */

typedef struct set_tok {
    const char *name; /* NULL: an index */
    size_t len, at;   /* at: offset of the token in the path, for messages */
    size_t index;
} set_tok;

/* PATH is names joined by dots, each optionally followed by [N]: network.links[0].to */
static int split_path(const char *p, size_t plen, set_tok *t, size_t *n)
{
    size_t i = 0;
    *n = 0;
    while (i < plen) {
        size_t s = i;
        while (i < plen && p[i] != '.' && p[i] != '[' && p[i] != ']')
            i++;
        if (i == s || *n == MAX_SET_TOKENS)
            return -1;
        t[(*n)++] = (set_tok){p + s, i - s, s, 0};
        while (i < plen && p[i] == '[') {
            size_t s2 = i++, v = 0, digits = 0;
            for (; i < plen && p[i] >= '0' && p[i] <= '9' && digits < 9; i++, digits++)
                v = v * 10 + (size_t)(p[i] - '0');
            if (digits == 0 || i == plen || p[i] != ']' || *n == MAX_SET_TOKENS)
                return -1;
            i++;
            t[(*n)++] = (set_tok){NULL, 0, s2, v};
        }
        if (i < plen && p[i++] != '.')
            return -1;
        if (i == plen && p[i - 1] == '.')
            return -1;
    }
    return *n > 0 ? 0 : -1;
}

/* Put value (taken) at the place t[0..n) names under root, creating objects on the way. */
static int set_at(cJSON *root, const set_tok *t, size_t n, cJSON *value, const char *set,
                  size_t plen, char *err, size_t cap)
{
    cJSON *cur = root;
    for (size_t i = 0; i < n; i++) {
        const char *want = t[i].name ? "an object" : "an array";
        if (t[i].name ? !cJSON_IsObject(cur) : !cJSON_IsArray(cur)) {
            int at = (int)t[i].at - (t[i].name ? 1 : 0); /* the path before this token */
            snprintf(err, cap, "--set %.*s: %.*s is not %s", (int)plen, set, at, set, want);
            return FL_EINVAL;
        }
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)t[i].len, t[i].name ? t[i].name : "");
        size_t size = (size_t)cJSON_GetArraySize(cur);
        cJSON *child = t[i].name ? cJSON_GetObjectItemCaseSensitive(cur, key)
                                 : cJSON_GetArrayItem(cur, (int)t[i].index);
        if (t[i].name == NULL && (t[i].index > size || (i + 1 < n && t[i].index == size))) {
            snprintf(err, cap, "--set %.*s: %.*s has no element %zu", (int)plen, set, (int)t[i].at,
                     set, t[i].index);
            return FL_EINVAL;
        }
        cJSON *next = i + 1 == n ? value : NULL;
        if (next == NULL && child != NULL && !cJSON_IsNull(child)) {
            cur = child;
            continue;
        }
        if (next == NULL && t[i + 1].name == NULL) { /* an element of what is not there */
            snprintf(err, cap, "--set %.*s: %.*s is absent (set the whole array first)", (int)plen,
                     set, (int)t[i + 1].at, set);
            return FL_EINVAL;
        }
        if (next == NULL && (next = cJSON_CreateObject()) == NULL)
            return FL_ENOMEM;
        int ok = t[i].name == NULL ? (child ? cJSON_ReplaceItemInArray(cur, (int)t[i].index, next)
                                            : cJSON_AddItemToArray(cur, next))
                                   : (child ? cJSON_ReplaceItemInObjectCaseSensitive(cur, key, next)
                                            : cJSON_AddItemToObject(cur, key, next));
        if (!ok) {
            if (next != value)
                cJSON_Delete(next);
            return FL_ENOMEM;
        }
        cur = next;
    }
    return 0;
}

static int apply_set(cJSON *root, const char *set, char *err, size_t cap)
{
    const char *eq = set ? strchr(set, '=') : NULL;
    set_tok t[MAX_SET_TOKENS];
    size_t n = 0;
    if (eq == NULL || eq == set || split_path(set, (size_t)(eq - set), t, &n) != 0) {
        snprintf(err, cap, "--set: expected PATH=VALUE, got '%s'", set ? set : "(null)");
        return FL_EINVAL;
    }
    /* the value is JSON when it parses as JSON, else a string: nodes=5, name=raft-5 */
    cJSON *value = cJSON_ParseWithOpts(eq + 1, NULL, 1);
    if (value == NULL)
        value = cJSON_CreateString(eq + 1);
    if (value == NULL)
        return FL_ENOMEM;
    int rc = set_at(root, t, n, value, set, (size_t)(eq - set), err, cap);
    if (rc)
        cJSON_Delete(value);
    return rc;
}

/* ---- entry points ---- */

static int parse_labelled(fl_scenario *sc, const char *text, size_t len, const char *const *sets,
                          size_t nsets, const char *label, const char *default_name, char *err,
                          size_t cap)
{
    fl_sc_ctx c = {.label = label, .err = err, .cap = err ? cap : 0};
    cJSON *doc = NULL;
    int rc = 0;
    memset(sc, 0, sizeof *sc);
    if (c.cap > 0)
        err[0] = '\0';
    if (len > FL_SCENARIO_MAX_BYTES) {
        snprintf(err, c.cap, "%s: larger than the limit of %d bytes", label, FL_SCENARIO_MAX_BYTES);
        return FL_ELIMIT;
    }
    if (text == NULL) { /* no text at all: reported as malformed JSON */
        text = "";
        len = 0;
    }
    rc = parse_json(&c, text, len, &doc);
    /* sets go into the document itself, so they are checked like the rest of it; a
     * top level that is not an object is left for fl_sc_parse_root to report */
    for (size_t i = 0; i < nsets && rc == 0 && cJSON_IsObject(doc); i++)
        rc = apply_set(doc, sets[i], c.err, c.cap);
    if (rc == 0)
        rc = check_unique_keys(&c, doc);
    if (rc == 0)
        rc = fl_sc_parse_root(&c, doc, sc, default_name);
    cJSON_Delete(doc);
    if (rc != 0) {
        if (rc == FL_ENOMEM)
            snprintf(err, c.cap, "%s: out of memory", label);
        fl_scenario_close(sc);
    }
    return rc;
}

int fl_scenario_parse(fl_scenario *sc, const char *text, size_t len, const char *const *sets,
                      size_t nsets, char *err, size_t cap)
{
    return parse_labelled(sc, text, len, sets, nsets, "scenario", "", err, cap);
}

/* The whole file, NUL-terminated, in *out (caller frees); FL_EINVAL if it cannot be
 * read, FL_ELIMIT past FL_SCENARIO_MAX_BYTES. */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t cap)
{
    int from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    size_t size = 0, room = 4096;
    char *buf = NULL;
    int rc = 0;
    if (f == NULL) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return FL_EINVAL;
    }
    for (;;) {
        char *grown = realloc(buf, room + 1);
        if (grown == NULL) {
            rc = FL_ENOMEM;
            snprintf(err, cap, "%s: out of memory", path);
            break;
        }
        buf = grown;
        size += fread(buf + size, 1, room - size, f);
        if (ferror(f)) {
            rc = FL_EINVAL;
            snprintf(err, cap, "%s: %s", path, strerror(errno));
            break;
        }
        if (size > FL_SCENARIO_MAX_BYTES) {
            rc = FL_ELIMIT;
            snprintf(err, cap, "%s: larger than the limit of %d bytes", path,
                     FL_SCENARIO_MAX_BYTES);
            break;
        }
        if (size < room) /* end of file */
            break;
        room *= 2;
    }
    if (!from_stdin)
        fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[size] = '\0';
    *out = buf;
    *len = size;
    return 0;
}

/* "dir/raft-3.json" -> "raft-3", cut to fit fl_scenario.name without splitting a
 * UTF-8 sequence. */
static void name_from_path(const char *path, char *name, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)base[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(name, base, n);
    name[n] = '\0';
}

int fl_scenario_load(fl_scenario *sc, const char *path, const char *const *sets, size_t nsets,
                     char *err, size_t cap)
{
    if (err == NULL)
        cap = 0;
    if (path == NULL)
        return parse_labelled(sc, "{}", 2, sets, nsets, "scenario", "", err, cap);
    int from_stdin = strcmp(path, "-") == 0;
    const char *label = from_stdin ? "stdin" : path;
    char *text = NULL, name[sizeof sc->name] = "";
    size_t len = 0;
    memset(sc, 0, sizeof *sc);
    int rc = read_file(path, &text, &len, err, cap);
    if (rc != 0)
        return rc;
    if (strspn(text, " \t\r\n") == len) { /* cJSON would say "malformed JSON" */
        snprintf(err, cap, "%s: empty file (a scenario is a JSON object; {} is the default)",
                 label);
        free(text);
        return FL_EINVAL;
    }
    if (!from_stdin)
        name_from_path(path, name, sizeof name);
    rc = parse_labelled(sc, text, len, sets, nsets, label, name, err, cap);
    free(text);
    return rc;
}

void fl_scenario_close(fl_scenario *sc)
{
    if (sc == NULL)
        return;
    cJSON_Delete(sc->params);
    free(sc->links);
    cJSON_Delete(sc->script);
    cJSON_Delete(sc->json);
    memset(sc, 0, sizeof *sc);
}

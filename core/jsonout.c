/* jsonout.c -- fast compact JSON printing (see jsonout.h). */
#include "core/jsonout.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    char *buf;
    size_t len, cap;
    int oom;
} out;

static int reserve(out *o, size_t n)
{
    if (o->len + n + 1 <= o->cap)
        return 1;
    size_t ncap = o->cap ? o->cap * 2 : 256;
    while (ncap < o->len + n + 1)
        ncap *= 2;
    char *p = realloc(o->buf, ncap);
    if (!p) {
        o->oom = 1;
        return 0;
    }
    o->buf = p;
    o->cap = ncap;
    return 1;
}

static void put(out *o, const char *s, size_t n)
{
    if (!reserve(o, n))
        return;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_int(out *o, int64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    put(o, tmp + i, sizeof tmp - (size_t)i);
}

static void put_number(out *o, double d)
{
    /* Integers up to 2^53 are exact in a double: print them as integers. */
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        put_int(o, (int64_t)d);
        return;
    }
    if (isnan(d) || isinf(d)) {
        put(o, "null", 4);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%1.17g", d);
    put(o, tmp, (size_t)n);
}

static int needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void put_string(out *o, const char *s)
{
    put(o, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while (*p && !needs_escape(*p))
            p++;
        put(o, (const char *)run, (size_t)(p - run)); /* the unescaped run at once */
        if (!*p)
            break;
        char tmp[8];
        const char *esc = tmp;
        switch (*p) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        }
        put(o, esc, strlen(esc));
        p++;
    }
    put(o, "\"", 1);
}

static void put_value(out *o, const cJSON *j, int depth)
{
    if (depth > 1000) { /* cJSON's own nesting limit is lower; never recurse unbounded */
        o->oom = 1;
        return;
    }
    if (cJSON_IsNull(j) || cJSON_IsInvalid(j)) {
        put(o, "null", 4);
    } else if (cJSON_IsBool(j)) {
        cJSON_IsTrue(j) ? put(o, "true", 4) : put(o, "false", 5);
    } else if (cJSON_IsNumber(j)) {
        put_number(o, j->valuedouble);
    } else if (cJSON_IsString(j)) {
        put_string(o, j->valuestring ? j->valuestring : "");
    } else if (cJSON_IsRaw(j)) {
        put(o, j->valuestring, strlen(j->valuestring));
    } else {
        int obj = cJSON_IsObject(j);
        put(o, obj ? "{" : "[", 1);
        for (const cJSON *c = j->child; c; c = c->next) {
            if (c != j->child)
                put(o, ",", 1);
            if (obj) {
                put_string(o, c->string ? c->string : "");
                put(o, ":", 1);
            }
            put_value(o, c, depth + 1);
        }
        put(o, obj ? "}" : "]", 1);
    }
}

char *fl_json_print(const cJSON *j)
{
    out o = {0};
    put_value(&o, j, 0);
    if (o.oom || !reserve(&o, 0)) {
        free(o.buf);
        return NULL;
    }
    o.buf[o.len] = '\0';
    return o.buf;
}

long fl_json_print_members(const cJSON *obj, char **buf, size_t *cap, fl_json_member **mem,
                           size_t *nmem, size_t *memcap)
{
    out o = {.buf = *buf, .cap = *cap};
    size_t n = 0;
    put(&o, "{", 1);
    for (const cJSON *c = obj->child; c && !o.oom; c = c->next, n++) {
        if (n == *memcap) {
            size_t ncap = *memcap ? *memcap * 2 : 16;
            fl_json_member *p = realloc(*mem, ncap * sizeof *p);
            if (!p) {
                o.oom = 1;
                break;
            }
            *mem = p;
            *memcap = ncap;
        }
        if (n > 0)
            put(&o, ",", 1);
        fl_json_member *m = &(*mem)[n];
        m->key = o.len;
        put_string(&o, c->string ? c->string : "");
        put(&o, ":", 1);
        m->val = o.len;
        put_value(&o, c, 1);
        m->val_len = o.len - m->val;
    }
    put(&o, "}", 1);
    *buf = o.buf;
    *cap = o.cap;
    *nmem = n;
    if (o.oom || !reserve(&o, 0))
        return -1;
    o.buf[o.len] = '\0';
    *buf = o.buf;
    *cap = o.cap;
    return (long)o.len;
}

long fl_json_print_into(const cJSON *v, char **buf, size_t *cap)
{
    out o = {.buf = *buf, .cap = *cap};
    put_value(&o, v, 1);
    int ok = !o.oom && reserve(&o, 0);
    *buf = o.buf;
    *cap = o.cap;
    if (!ok)
        return -1;
    o.buf[o.len] = '\0';
    return (long)o.len;
}

const char *fl_json_brief(const cJSON *v, char *buf, size_t cap)
{
    char *s = v ? fl_json_print(v) : NULL;
    snprintf(buf, cap, "%s", s ? s : "nothing");
    if (s && strlen(s) >= cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
    free(s);
    return buf;
}

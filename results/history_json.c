/*
 * history_json.c -- reading a history from JSON lines in Jepsen's vocabulary:
 *
 *   {"process": 0, "type": "invoke", "f": "write", "value": 3}
 *   {"process": 0, "type": "ok", "f": "write", "value": 3}
 *
 * One object per line (blank lines are skipped).  Every line is checked completely,
 * and the first problem stops the read with "name:LINE: why": a line that is not JSON
 * or has trailing characters, a missing, duplicate or unknown key, a value of the wrong
 * type, a completion without an invocation, and so on.  A byte scan before cJSON sees
 * the line rejects raw control characters and nesting deeper than MAX_DEPTH, so cJSON
 * never recurses deeply and strings never hold a NUL.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "results/history.h"

#define MAX_DEPTH 4 /* an op object holding cas's array is depth 2 */

typedef struct rd {
    fl_history *h;
    const char *name;
    char *err;
    size_t cap;
    size_t lineno;
} rd;

static int fail(rd *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(rd *r, int code, const char *fmt, ...)
{
    int n = snprintf(r->err, r->cap, "%s:%zu: ", r->name, r->lineno);
    if (n >= 0 && (size_t)n < r->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, r->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* The byte scan: raw control characters, escaped NULs and nesting depth. */
static int scan(rd *r, const char *s, size_t len)
{
    int in_str = 0, depth = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && (in_str || (c != ' ' && c != '\t' && c != '\r')))
            return fail(r, FL_EPARSE, "control character 0x%02x at column %zu", c, i + 1);
        if (in_str) {
            if (c == '\\' && i + 1 < len) {
                if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
                    return fail(r, FL_EPARSE, "NUL character (\\u0000) at column %zu", i + 1);
                i++;
            } else if (c == '"') {
                in_str = 0;
            }
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > MAX_DEPTH)
                return fail(r, FL_EPARSE, "nested deeper than %d levels at column %zu", MAX_DEPTH,
                            i + 1);
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

static int is_int(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (!(d == floor(d)) || fabs(d) > 9007199254740992.0)
        return 0;
    *out = (int64_t)d;
    return 1;
}

typedef struct fields {
    const cJSON *process, *type, *f, *key, *value, *time;
} fields;

static int get_fields(rd *r, const cJSON *obj, fields *fl)
{
    static const char *const names[] = {"process", "type", "f", "key", "value", "time"};
    const cJSON **slots[] = {&fl->process, &fl->type, &fl->f, &fl->key, &fl->value, &fl->time};
    *fl = (fields){0};
    for (const cJSON *it = obj->child; it; it = it->next) {
        size_t k = 0;
        while (k < 6 && strcmp(it->string, names[k]) != 0)
            k++;
        if (k == 6)
            return fail(r, FL_EPARSE, "unknown key \"%.40s\"", it->string);
        if (*slots[k])
            return fail(r, FL_EPARSE, "duplicate key \"%s\"", names[k]);
        *slots[k] = it;
    }
    for (size_t k = 0; k < 6; k++)
        if (!*slots[k] && k != 3 && k != 5)
            return fail(r, FL_EPARSE, "missing key \"%s\"", names[k]);
    return 0;
}

static int parse_f(rd *r, const cJSON *v, int *f)
{
    if (!cJSON_IsString(v))
        return fail(r, FL_EPARSE, "f: expected a string");
    for (int i = 0; i < FL_F_COUNT; i++)
        if (strcmp(v->valuestring, fl_op_f_name(i)) == 0) {
            *f = i;
            return 0;
        }
    return fail(r, FL_EPARSE,
                "unknown f \"%.40s\" (expected read, write, cas, get, put or "
                "append)",
                v->valuestring);
}

static int parse_type(rd *r, const cJSON *v, int *type)
{
    static const char *const names[] = {"ok", "fail", "info", "invoke"};
    if (!cJSON_IsString(v))
        return fail(r, FL_EPARSE, "type: expected a string");
    for (int i = 0; i < 4; i++)
        if (strcmp(v->valuestring, names[i]) == 0) {
            *type = i == 3 ? -1 : i;
            return 0;
        }
    return fail(r, FL_EPARSE, "unknown type \"%.40s\" (expected invoke, ok, fail or info)",
                v->valuestring);
}

/* The invocation's inputs: write an integer, cas [int, int], put/append a string, reads
 * null. */
static int invoke(rd *r, const fields *fl, int process, int f, int64_t t)
{
    const cJSON *v = fl->value;
    int64_t a = 0, b = 0;
    size_t op;
    int rc;
    if (f == FL_F_READ || f == FL_F_GET) {
        if (!cJSON_IsNull(v))
            return fail(r, FL_EPARSE, "value: a %s's invocation takes null", fl_op_f_name(f));
    } else if (f == FL_F_WRITE && !is_int(v, &a)) {
        return fail(r, FL_EPARSE, "value: write expects an integer");
    } else if (f == FL_F_CAS && (cJSON_GetArraySize(v) != 2 || !cJSON_IsArray(v) ||
                                 !is_int(v->child, &a) || !is_int(v->child->next, &b))) {
        return fail(r, FL_EPARSE, "value: cas expects [expected, new], two integers");
    } else if ((f == FL_F_PUT || f == FL_F_APPEND) && !cJSON_IsString(v)) {
        return fail(r, FL_EPARSE, "value: %s expects a string", fl_op_f_name(f));
    }
    if (f >= FL_F_GET) {
        const char *val = f == FL_F_GET ? "" : v->valuestring;
        rc = fl_history_invoke_kv(r->h, process, f, fl->key->valuestring,
                                  strlen(fl->key->valuestring), val, strlen(val), &op);
    } else {
        rc = fl_history_invoke_reg(r->h, process, f, a, b, &op);
    }
    if (rc == FL_ELIMIT)
        return fail(r, rc, "more than %u operations or too many distinct strings",
                    FL_HISTORY_OPS_MAX);
    if (rc == FL_EINVAL)
        return fail(r, FL_EPARSE, "second invocation by process %d, which has one outstanding",
                    process);
    if (rc)
        return fail(r, rc, "%s", fl_strerror(rc));
    fl_history_op_mut(r->h, op)->invoke_ns = t;
    return 0;
}

/* 1 when v (not null) equals the inputs of o, as a completion echoes them. */
static int same_input(const fl_history *h, const fl_op *o, const cJSON *v)
{
    int64_t a, b;
    if (o->f == FL_F_WRITE)
        return is_int(v, &a) && a == o->in1;
    if (o->f == FL_F_CAS)
        return cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && is_int(v->child, &a) &&
               is_int(v->child->next, &b) && a == o->in1 && b == o->in2;
    size_t len;
    const char *s = fl_history_str(h, (uint32_t)o->in1, &len);
    return cJSON_IsString(v) && strlen(v->valuestring) == len &&
           memcmp(v->valuestring, s, len) == 0;
}

static int complete(rd *r, const fields *fl, int process, int f, int type, int64_t t)
{
    size_t op;
    if (!fl_history_outstanding(r->h, process, &op))
        return fail(r, FL_EPARSE, "completion without an invocation (process %d)", process);
    const fl_op *o = fl_history_op(r->h, op);
    const cJSON *v = fl->value;
    if (o->f != f)
        return fail(r, FL_EPARSE,
                    "completion f \"%s\" differs from the invocation's \"%s\" "
                    "(process %d)",
                    fl_op_f_name(f), fl_op_f_name(o->f), process);
    if (f >= FL_F_GET) {
        size_t klen;
        const char *k = fl_history_str(r->h, o->key, &klen);
        if (strlen(fl->key->valuestring) != klen || memcmp(k, fl->key->valuestring, klen))
            return fail(r, FL_EPARSE, "completion key differs from the invocation's (process %d)",
                        process);
    }
    int64_t out = 0;
    int rc;
    if (f == FL_F_READ) {
        if (!cJSON_IsNull(v) && !is_int(v, &out))
            return fail(r, FL_EPARSE, "value: a read returns an integer or null");
        rc = fl_history_complete_reg(r->h, op, type, cJSON_IsNull(v), out);
    } else if (f == FL_F_GET) {
        if (!cJSON_IsString(v) && (type == FL_DONE_OK || !cJSON_IsNull(v)))
            return fail(r, FL_EPARSE, "value: a get returns a string");
        const char *s = cJSON_IsString(v) ? v->valuestring : "";
        rc = fl_history_complete_kv(r->h, op, type, s, strlen(s));
    } else {
        if ((type == FL_DONE_OK || !cJSON_IsNull(v)) && !same_input(r->h, o, v))
            return fail(r, FL_EPARSE, "value: a %s's completion repeats its invocation's value",
                        fl_op_f_name(f));
        rc = f >= FL_F_GET ? fl_history_complete_kv(r->h, op, type, "", 0)
                           : fl_history_complete_reg(r->h, op, type, 0, 0);
    }
    if (rc)
        return fail(r, rc, "%s", fl_strerror(rc));
    fl_history_op_mut(r->h, op)->complete_ns = t;
    return 0;
}

static int line_op(rd *r, const cJSON *obj)
{
    fields fl;
    int f = 0, type = 0, rc;
    int64_t process, t = -1;
    if (!cJSON_IsObject(obj))
        return fail(r, FL_EPARSE, "expected a JSON object");
    if ((rc = get_fields(r, obj, &fl)) || (rc = parse_f(r, fl.f, &f)) ||
        (rc = parse_type(r, fl.type, &type)))
        return rc;
    if (!is_int(fl.process, &process) || process < 0 || process > INT32_MAX)
        return fail(r, FL_EPARSE, "process: expected an integer in [0, 2147483647]");
    if (fl.time && (!is_int(fl.time, &t) || t < 0))
        return fail(r, FL_EPARSE, "time: expected a non-negative integer (nanoseconds)");
    int kv = f >= FL_F_GET;
    if (kv && !cJSON_IsString(fl.key))
        return fail(r, FL_EPARSE, fl.key ? "key: expected a string" : "missing key \"key\"");
    if (!kv && fl.key)
        return fail(r, FL_EPARSE, "key: register operations (%s) have no key", fl_op_f_name(f));
    if (fl_history_len(r->h) && fl_history_is_kv(r->h) != kv)
        return fail(r, FL_EPARSE, "%s operation in a %s history (register and kv ops do not mix)",
                    fl_op_f_name(f), kv ? "register" : "kv");
    if (type < 0)
        return invoke(r, &fl, (int)process, f, t);
    return complete(r, &fl, (int)process, f, type, t);
}

static int parse_line(rd *r, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == len)
        return 0; /* blank line */
    if (len > FL_HISTORY_LINE_MAX)
        return fail(r, FL_ELIMIT, "line longer than %u bytes", FL_HISTORY_LINE_MAX);
    int rc = scan(r, s, len);
    if (rc)
        return rc;
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    size_t off = end && end >= s ? (size_t)(end - s) : 0;
    if (!obj)
        return fail(r, FL_EPARSE, "not JSON (at column %zu)", (off < len ? off : len) + 1);
    while (off < len && (s[off] == ' ' || s[off] == '\t' || s[off] == '\r'))
        off++;
    if (off < len)
        rc = fail(r, FL_EPARSE, "trailing characters after the JSON at column %zu", off + 1);
    else
        rc = line_op(r, obj);
    cJSON_Delete(obj);
    return rc;
}

static int finish(rd *r)
{
    if (fl_history_len(r->h) == 0) {
        snprintf(r->err, r->cap, "%s: empty file", r->name);
        return FL_EPARSE;
    }
    return 0;
}

int fl_history_parse_jsonl(fl_history *h, const char *text, size_t len, const char *name, char *err,
                           size_t cap)
{
    rd r = {h, name, err, cap, 0};
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        r.lineno++;
        int rc = parse_line(&r, text + at, n);
        if (rc)
            return rc;
        at += n + 1;
    }
    return finish(&r);
}

/* Reads in chunks and hands over whole lines; a line longer than the limit is refused
 * as soon as it is, without buffering the rest of it. */
int fl_history_read_jsonl(fl_history *h, FILE *f, const char *name, char *err, size_t cap)
{
    rd r = {h, name, err, cap, 0};
    size_t bcap = FL_HISTORY_LINE_MAX + 65536, have = 0;
    char *buf = malloc(bcap);
    if (!buf) {
        snprintf(err, cap, "%s: out of memory", name);
        return FL_ENOMEM;
    }
    int rc = 0, eof = 0;
    while (rc == 0 && !eof) {
        size_t got = fread(buf + have, 1, bcap - have, f);
        have += got;
        eof = got == 0;
        size_t at = 0;
        const char *nl;
        while (rc == 0 && (nl = memchr(buf + at, '\n', have - at)) != NULL) {
            r.lineno++;
            rc = parse_line(&r, buf + at, (size_t)(nl - (buf + at)));
            at = (size_t)(nl - buf) + 1;
        }
        if (rc == 0 && eof && at < have) {
            r.lineno++;
            rc = parse_line(&r, buf + at, have - at); /* the last line has no newline */
            at = have;
        }
        memmove(buf, buf + at, have - at);
        have -= at;
        if (rc == 0 && have > FL_HISTORY_LINE_MAX) {
            r.lineno++;
            rc = fail(&r, FL_ELIMIT, "line longer than %u bytes", FL_HISTORY_LINE_MAX);
        }
    }
    int e = errno;
    free(buf);
    if (rc == 0 && ferror(f)) {
        snprintf(err, cap, "%s: %s", name, strerror(e));
        return FL_EIO;
    }
    return rc ? rc : finish(&r);
}

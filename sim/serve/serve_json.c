/*
 * serve_json.c -- the web API's writers: database rows as JSON or CSV into an
 * evbuffer, with every string escaped, and the parsing of query parameters.
 *
 * Rows come from storage's read-only cursors only (fl_db_cursor: one statement,
 * authorizer, time limit), so nothing here can write the database, whatever the request
 * holds; parameters are bound, never pasted into SQL.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "core/error.h"
#include "sim/serve/serve_impl.h"

int sj_fail(serve_req *q, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, q->cap, fmt, ap);
    va_end(ap);
    return status;
}

void sj_str(struct evbuffer *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char buf[512];
    size_t n = 0;
    buf[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (n + 8 > sizeof buf) {
            evbuffer_add(out, buf, n);
            n = 0;
        }
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
            memcpy(buf + n, "\\u00", 4);
            buf[n + 4] = hex[c >> 4];
            buf[n + 5] = hex[c & 15];
            n += 6;
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n++] = '"';
    evbuffer_add(out, buf, n);
}

const char *sj_param(const serve_req *q, const char *name)
{
    return q->query != NULL ? evhttp_find_header(q->query, name) : NULL;
}

int sj_parse_id(const char *s, int64_t *v)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 19)
        return -1;
    uint64_t x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x > INT64_MAX)
        return -1;
    *v = (int64_t)x;
    return 0;
}

int sj_int_param(serve_req *q, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *v)
{
    const char *s = sj_param(q, name);
    if (s == NULL) {
        *v = def;
        return 0;
    }
    int neg = s[0] == '-';
    int64_t x;
    if (sj_parse_id(s + neg, &x) != 0)
        return sj_fail(q, SV_BAD, "%s: expected an integer", name);
    x = neg ? -x : x;
    if (x < lo || x > hi)
        return sj_fail(q, SV_BAD, "%s: expected %" PRId64 "..%" PRId64 ", got %" PRId64, name, lo,
                       hi, x);
    *v = x;
    return 0;
}

static int open_bound(serve_req *q, const char *sql, const sj_bind *binds, int nbinds,
                      fl_db_cursor **c)
{
    int rc = fl_db_cursor_open(q->s->db, sql, c, q->err, q->cap);
    for (int i = 0; rc == 0 && i < nbinds; i++) {
        const sj_bind *b = &binds[i];
        rc = b->is_null   ? fl_db_cursor_bind_text(*c, i + 1, NULL)
             : b->is_text ? fl_db_cursor_bind_text(*c, i + 1, b->t)
                          : fl_db_cursor_bind_int(*c, i + 1, b->i);
        if (rc != 0)
            snprintf(q->err, q->cap, "query: cannot bind parameter %d", i + 1);
    }
    if (rc != 0) {
        fl_db_cursor_close(*c);
        *c = NULL;
        return rc == FL_EINVAL || rc == FL_ELIMIT ? SV_BAD : SV_ERROR;
    }
    return 0;
}

static void value_json(struct evbuffer *out, fl_db_cursor *c, int col)
{
    switch (fl_db_cursor_type(c, col)) {
    case FL_DB_INTEGER:
        evbuffer_add_printf(out, "%" PRId64, fl_db_cursor_int(c, col));
        break;
    case FL_DB_REAL: {
        double d = fl_db_cursor_real(c, col);
        if (isfinite(d))
            evbuffer_add_printf(out, "%.17g", d);
        else
            evbuffer_add(out, "null", 4);
        break;
    }
    case FL_DB_TEXT:
        sj_str(out, fl_db_cursor_text(c, col), fl_db_cursor_len(c, col));
        break;
    case FL_DB_BLOB: {
        const unsigned char *b = fl_db_cursor_blob(c, col);
        size_t n = fl_db_cursor_len(c, col);
        evbuffer_add(out, "\"", 1);
        for (size_t i = 0; i < n; i++)
            evbuffer_add_printf(out, "%02x", b[i]);
        evbuffer_add(out, "\"", 1);
        break;
    }
    default:
        evbuffer_add(out, "null", 4);
    }
}

static void row_json(struct evbuffer *out, fl_db_cursor *c, int mode)
{
    int n = fl_db_cursor_ncols(c);
    evbuffer_add(out, mode == SJ_ARRAYS ? "[" : "{", 1);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            evbuffer_add(out, ",", 1);
        if (mode != SJ_ARRAYS) {
            const char *name = fl_db_cursor_name(c, i);
            sj_str(out, name, strlen(name));
            evbuffer_add(out, ":", 1);
        }
        value_json(out, c, i);
    }
    evbuffer_add(out, mode == SJ_ARRAYS ? "]" : "}", 1);
}

static void columns_json(struct evbuffer *out, fl_db_cursor *c)
{
    evbuffer_add(out, "{\"columns\":[", 12);
    for (int i = 0; i < fl_db_cursor_ncols(c); i++) {
        const char *name = fl_db_cursor_name(c, i);
        if (i > 0)
            evbuffer_add(out, ",", 1);
        sj_str(out, name, strlen(name));
    }
    evbuffer_add(out, "],\"rows\":[", 10);
}

int sj_rows(serve_req *q, int mode, const char *sql, const sj_bind *binds, int nbinds, int cap,
            int *nrows)
{
    fl_db_cursor *c;
    int status = open_bound(q, sql, binds, nbinds, &c);
    if (status != 0)
        return status;
    /* Rows go to a buffer of their own: an error half-way leaves q->out as it was. */
    struct evbuffer *rows = evbuffer_new();
    if (mode == SJ_ARRAYS)
        columns_json(rows, c);
    else if (mode == SJ_OBJECTS)
        evbuffer_add(rows, "[", 1);
    int n = 0, rc, truncated = 0;
    while ((rc = fl_db_cursor_next(c, q->err, q->cap)) == 1) {
        if (n >= cap || (mode == SJ_ONE && n >= 1)) {
            truncated = 1;
            break;
        }
        if (n > 0)
            evbuffer_add(rows, ",", 1);
        row_json(rows, c, mode);
        n++;
    }
    if (mode == SJ_ONE && n == 0)
        evbuffer_add(rows, "null", 4);
    else if (mode == SJ_ARRAYS)
        evbuffer_add_printf(rows, "],\"truncated\":%s,\"cap\":%d}", truncated ? "true" : "false",
                            cap);
    else if (mode == SJ_OBJECTS)
        evbuffer_add(rows, "]", 1);
    fl_db_cursor_close(c);
    if (rc < 0) {
        evbuffer_free(rows);
        return rc == FL_EINVAL || rc == FL_ELIMIT ? SV_BAD : SV_ERROR;
    }
    evbuffer_add_buffer(q->out, rows);
    evbuffer_free(rows);
    if (nrows != NULL)
        *nrows = n;
    return 0;
}

static void csv_field(struct evbuffer *out, const char *s, size_t len, int is_null)
{
    if (is_null)
        return;
    int quote = len == 0 || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        evbuffer_add(out, s, len);
        return;
    }
    evbuffer_add(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        evbuffer_add(out, s + i, 1);
        if (s[i] == '"')
            evbuffer_add(out, "\"", 1);
    }
    evbuffer_add(out, "\"", 1);
}

int sj_csv(serve_req *q, const char *sql, const sj_bind *binds, int nbinds, int cap)
{
    fl_db_cursor *c;
    int status = open_bound(q, sql, binds, nbinds, &c);
    if (status != 0)
        return status;
    struct evbuffer *rows = evbuffer_new();
    int ncols = fl_db_cursor_ncols(c);
    for (int i = 0; i < ncols; i++) {
        const char *name = fl_db_cursor_name(c, i);
        if (i > 0)
            evbuffer_add(rows, ",", 1);
        csv_field(rows, name, strlen(name), 0);
    }
    evbuffer_add(rows, "\n", 1);
    int rc, n = 0;
    while ((rc = fl_db_cursor_next(c, q->err, q->cap)) == 1 && n++ < cap) {
        for (int i = 0; i < ncols; i++) {
            if (i > 0)
                evbuffer_add(rows, ",", 1);
            int t = fl_db_cursor_type(c, i);
            const char *s = fl_db_cursor_text(c, i);
            csv_field(rows, s != NULL ? s : "", s != NULL ? fl_db_cursor_len(c, i) : 0,
                      t == FL_DB_NULL);
        }
        evbuffer_add(rows, "\n", 1);
    }
    fl_db_cursor_close(c);
    if (rc < 0) {
        evbuffer_free(rows);
        return rc == FL_EINVAL || rc == FL_ELIMIT ? SV_BAD : SV_ERROR;
    }
    evbuffer_add_buffer(q->out, rows);
    evbuffer_free(rows);
    q->content_type = "text/csv; charset=utf-8";
    return 0;
}

int sj_int(serve_req *q, const char *sql, const sj_bind *binds, int nbinds, int64_t def, int64_t *v)
{
    fl_db_cursor *c;
    int status = open_bound(q, sql, binds, nbinds, &c);
    if (status != 0)
        return status;
    int rc = fl_db_cursor_next(c, q->err, q->cap);
    *v = rc == 1 && fl_db_cursor_type(c, 0) != FL_DB_NULL ? fl_db_cursor_int(c, 0) : def;
    fl_db_cursor_close(c);
    return rc < 0 ? SV_ERROR : 0;
}

/*
 * query.c -- table, CSV and JSON output of a read-only query (see query.h).
 *
 * Reads through fl_db_cursor, so it sees each value with the type SQLite stored it
 * with, and never touches SQLite itself.
 */
#include "results/query.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"

static void set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (err == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

int fl_query_format_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "table") == 0)
        return FL_FMT_TABLE;
    if (strcmp(name, "csv") == 0)
        return FL_FMT_CSV;
    if (strcmp(name, "json") == 0)
        return FL_FMT_JSON;
    return -1;
}

static int is_number(int type)
{
    return type == FL_DB_INTEGER || type == FL_DB_REAL;
}

/* A blob as lowercase hex digits: malloc'd, NULL when out of memory. */
static char *blob_hex(const fl_db_cursor *c, int col)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = fl_db_cursor_blob(c, col);
    size_t n = fl_db_cursor_len(c, col);
    char *s = malloc(2 * n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = hex[p[i] >> 4];
        s[2 * i + 1] = hex[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

/* ---- table ---- */

typedef struct cell {
    char *text; /* escaped for one line; NULL for SQL NULL */
    int number;
} cell;

typedef struct table {
    int ncols;
    cell *cells; /* nrows * ncols */
    size_t nrows, cap_rows;
    size_t *width;
    int *numeric; /* every non-NULL value of the column is a number (and there is one) */
    int *has_text;
} table;

/* Display width in characters: count UTF-8 lead bytes. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s != '\0'; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* One line per row: control characters become \n, \t, \r or \xNN. */
static char *escape_line(const char *s, size_t len)
{
    char *out = malloc(4 * len + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || ch == '\t' || ch == '\r') {
            *o++ = '\\';
            *o++ = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
        } else if (ch < 0x20 || ch == 0x7f) {
            o += sprintf(o, "\\x%02x", ch);
        } else {
            *o++ = (char)ch;
        }
    }
    *o = '\0';
    return out;
}

static char *cell_text(const fl_db_cursor *c, int col)
{
    switch (fl_db_cursor_type(c, col)) {
    case FL_DB_NULL:
        return NULL;
    case FL_DB_BLOB:
        return blob_hex(c, col);
    default: {
        const char *t = fl_db_cursor_text(c, col);
        return escape_line(t != NULL ? t : "", fl_db_cursor_len(c, col));
    }
    }
}

static int table_add_row(table *t, const fl_db_cursor *c)
{
    if (t->nrows == t->cap_rows) {
        size_t ncap = t->cap_rows == 0 ? 64 : 2 * t->cap_rows;
        cell *p = realloc(t->cells, ncap * (size_t)t->ncols * sizeof *p);
        if (p == NULL)
            return FL_ENOMEM;
        t->cells = p;
        t->cap_rows = ncap;
    }
    cell *row = &t->cells[t->nrows * (size_t)t->ncols];
    int rc = 0;
    for (int i = 0; i < t->ncols; i++) {
        int type = fl_db_cursor_type(c, i);
        row[i].text = cell_text(c, i);
        row[i].number = is_number(type);
        if (type != FL_DB_NULL && row[i].text == NULL)
            rc = FL_ENOMEM;
        if (row[i].text != NULL && text_width(row[i].text) > t->width[i])
            t->width[i] = text_width(row[i].text);
        t->numeric[i] |= row[i].number;
        t->has_text[i] |= type == FL_DB_TEXT || type == FL_DB_BLOB;
    }
    t->nrows++;
    return rc;
}

/* One output line, built in memory so that trailing blanks can be cut. */
typedef struct line {
    char *buf;
    size_t len, cap;
} line;

static int line_put(line *l, const char *s, size_t n, size_t pad_before, size_t pad_after)
{
    size_t need = l->len + pad_before + n + pad_after + 1;
    if (need > l->cap) {
        size_t ncap = need * 2;
        char *p = realloc(l->buf, ncap);
        if (p == NULL)
            return FL_ENOMEM;
        l->buf = p;
        l->cap = ncap;
    }
    memset(l->buf + l->len, ' ', pad_before);
    memcpy(l->buf + l->len + pad_before, s, n);
    memset(l->buf + l->len + pad_before + n, ' ', pad_after);
    l->len += pad_before + n + pad_after;
    return 0;
}

/* Append cell i padded to its column's width (numbers right-aligned). */
static int line_cell(line *l, const table *t, int i, const char *s)
{
    size_t pad = t->width[i] - text_width(s);
    int right = t->numeric[i] && !t->has_text[i];
    int rc = i > 0 ? line_put(l, "  ", 2, 0, 0) : 0;
    return rc != 0 ? rc : line_put(l, s, strlen(s), right ? pad : 0, right ? 0 : pad);
}

static void line_flush(line *l, FILE *out)
{
    while (l->len > 0 && l->buf[l->len - 1] == ' ')
        l->len--;
    if (l->len > 0)
        fwrite(l->buf, 1, l->len, out);
    fputc('\n', out);
    l->len = 0;
}

static int table_print(const table *t, const fl_db_cursor *c, FILE *out)
{
    line l = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < t->ncols; i++)
        rc = line_cell(&l, t, i, fl_db_cursor_name(c, i));
    if (rc == 0)
        line_flush(&l, out);
    for (int i = 0; rc == 0 && i < t->ncols; i++) {
        rc = i > 0 ? line_put(&l, "  ", 2, 0, 0) : 0;
        for (size_t k = 0; rc == 0 && k < t->width[i]; k++)
            rc = line_put(&l, "-", 1, 0, 0);
    }
    if (rc == 0)
        line_flush(&l, out);
    for (size_t r = 0; rc == 0 && r < t->nrows; r++) {
        const cell *row = &t->cells[r * (size_t)t->ncols];
        for (int i = 0; rc == 0 && i < t->ncols; i++)
            rc = line_cell(&l, t, i, row[i].text != NULL ? row[i].text : "");
        if (rc == 0)
            line_flush(&l, out);
    }
    if (rc == 0)
        fprintf(out, "(%zu row%s)\n", t->nrows, t->nrows == 1 ? "" : "s");
    free(l.buf);
    return rc;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t->width);
    free(t->numeric);
    free(t->has_text);
}

static int print_table(fl_db_cursor *c, FILE *out, char *err, size_t cap)
{
    table t = {.ncols = fl_db_cursor_ncols(c)};
    size_t n = (size_t)t.ncols + 1;
    t.width = calloc(n, sizeof *t.width);
    t.numeric = calloc(n, sizeof *t.numeric);
    t.has_text = calloc(n, sizeof *t.has_text);
    int rc = t.width != NULL && t.numeric != NULL && t.has_text != NULL ? 0 : FL_ENOMEM;
    for (int i = 0; rc == 0 && i < t.ncols; i++)
        t.width[i] = text_width(fl_db_cursor_name(c, i));
    while (rc == 0 && (rc = fl_db_cursor_next(c, err, cap)) == 1)
        rc = table_add_row(&t, c);
    if (rc == 0)
        rc = table_print(&t, c, out);
    if (rc == FL_ENOMEM)
        set_err(err, cap, "query: out of memory");
    table_free(&t);
    return rc;
}

/* ---- CSV ---- */

static void csv_field(FILE *out, const char *s, size_t len)
{
    if (len == 0 || strcspn(s, ",\"\r\n") < len) {
        fputc('"', out);
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '"')
                fputc('"', out);
            fputc(s[i], out);
        }
        fputc('"', out);
    } else {
        fwrite(s, 1, len, out);
    }
}

static int csv_value(FILE *out, const fl_db_cursor *c, int col)
{
    int type = fl_db_cursor_type(c, col);
    if (type == FL_DB_NULL)
        return 0;
    if (type == FL_DB_BLOB) {
        char *hex = blob_hex(c, col);
        if (hex == NULL)
            return FL_ENOMEM;
        csv_field(out, hex, strlen(hex));
        free(hex);
        return 0;
    }
    const char *t = fl_db_cursor_text(c, col);
    csv_field(out, t != NULL ? t : "", fl_db_cursor_len(c, col));
    return 0;
}

static int print_csv(fl_db_cursor *c, FILE *out, char *err, size_t cap)
{
    int n = fl_db_cursor_ncols(c), rc;
    for (int i = 0; i < n; i++) {
        const char *name = fl_db_cursor_name(c, i);
        fputs(i > 0 ? "," : "", out);
        csv_field(out, name, strlen(name));
    }
    fputc('\n', out);
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        for (int i = 0; rc == 1 && i < n; i++) {
            fputs(i > 0 ? "," : "", out);
            if (csv_value(out, c, i) != 0)
                rc = FL_ENOMEM;
        }
        if (rc != 1)
            break;
        fputc('\n', out);
    }
    if (rc == FL_ENOMEM)
        set_err(err, cap, "query: out of memory");
    return rc;
}

/* ---- JSON ---- */

static cJSON *json_value(const fl_db_cursor *c, int col)
{
    char buf[32];
    switch (fl_db_cursor_type(c, col)) {
    case FL_DB_INTEGER:
        /* Raw decimal text: a double would round integers beyond 2^53 (seeds). */
        snprintf(buf, sizeof buf, "%" PRId64, fl_db_cursor_int(c, col));
        return cJSON_CreateRaw(buf);
    case FL_DB_REAL: {
        double d = fl_db_cursor_real(c, col);
        return isfinite(d) ? cJSON_CreateNumber(d) : cJSON_CreateNull();
    }
    case FL_DB_TEXT: {
        const char *t = fl_db_cursor_text(c, col);
        return cJSON_CreateString(t != NULL ? t : "");
    }
    case FL_DB_BLOB: {
        char *hex = blob_hex(c, col);
        cJSON *v = hex != NULL ? cJSON_CreateString(hex) : NULL;
        free(hex);
        return v;
    }
    default:
        return cJSON_CreateNull();
    }
}

/* The current row as one line of unformatted JSON; NULL when out of memory. */
static char *json_row(const fl_db_cursor *c)
{
    cJSON *obj = cJSON_CreateObject();
    int ok = obj != NULL;
    for (int i = 0; ok && i < fl_db_cursor_ncols(c); i++) {
        cJSON *v = json_value(c, i);
        ok = v != NULL && cJSON_AddItemToObject(obj, fl_db_cursor_name(c, i), v);
        if (!ok)
            cJSON_Delete(v);
    }
    char *text = ok ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    return text;
}

static int print_json(fl_db_cursor *c, FILE *out, char *err, size_t cap)
{
    size_t nrows = 0;
    int rc;
    fputc('[', out);
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        char *text = json_row(c);
        if (text == NULL) {
            set_err(err, cap, "query: out of memory");
            return FL_ENOMEM;
        }
        fputs(nrows++ > 0 ? ",\n" : "\n", out);
        fputs(text, out);
        cJSON_free(text);
    }
    fputs(nrows > 0 ? "\n]\n" : "]\n", out);
    return rc;
}

int fl_query_print(fl_db *db, const char *sql, int format, FILE *out, char *err, size_t cap)
{
    static int (*const printers[])(fl_db_cursor *, FILE *, char *, size_t) = {
        [FL_FMT_TABLE] = print_table, [FL_FMT_CSV] = print_csv, [FL_FMT_JSON] = print_json};
    if (format < FL_FMT_TABLE || format > FL_FMT_JSON) {
        set_err(err, cap, "query: unknown output format %d", format);
        return FL_EINVAL;
    }
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, sql, &c, err, cap);
    if (rc != 0)
        return rc;
    rc = printers[format](c, out, err, cap);
    fl_db_cursor_close(c);
    if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
        set_err(err, cap, "query: writing the output: %s", strerror(errno));
        rc = FL_EIO;
    }
    return rc;
}

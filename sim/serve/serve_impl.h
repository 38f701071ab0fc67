/*
 * serve_impl.h -- what the web server's files share: the request being answered, the
 * JSON and CSV writers over database cursors, and the API's handlers.
 *
 * Every handler writes its whole answer into an evbuffer and returns an HTTP status;
 * on an error status the buffer is ignored and err holds the message, sent as
 * {"error": "..."}.  Every amount of output is bounded (a row cap per list, a window of
 * steps per diagram), so the server's memory does not grow with the size of a run.
 */
#ifndef FL_SIM_SERVE_SERVE_IMPL_H
#define FL_SIM_SERVE_SERVE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "storage/db.h"

#define SERVE_ROW_CAP 10000      /* rows of one list, SQL box included */
#define SERVE_TIME_LIMIT_MS 2000 /* per statement */
#define SERVE_WINDOW_MAX 5000    /* steps of one diagram window */
#define SERVE_WINDOW_DEFAULT 400
#define SERVE_MSG_CAP 3000 /* messages of one diagram window */

typedef struct serve_ctx {
    fl_db *db;
    int64_t schema; /* the file's schema version */
} serve_ctx;

/* One API request: the ids in its path (/api/run/7/message/3: 7, 3), its decoded query
 * parameters, and where the answer goes. */
typedef struct serve_req {
    serve_ctx *s;
    int64_t id[2];
    struct evkeyvalq *query;
    struct evbuffer *out;
    int csv;                  /* the answer is CSV: format=csv or a path ending in .csv */
    const char *content_type; /* NULL: application/json */
    char *err;
    size_t cap;
} serve_req;

enum { SV_OK = 200, SV_BAD = 400, SV_NOTFOUND = 404, SV_ERROR = 500 };

/* ---- serve_json.c ---- */
/* A JSON string (quotes included) of s, with <, > and & escaped too, so that no
 * database text can close a tag if a page ever embedded the JSON. */
void sj_str(struct evbuffer *out, const char *s, size_t len);
/* A query parameter: NULL when absent. */
const char *sj_param(const serve_req *q, const char *name);
/* An integer parameter in [lo, hi], *v = def when absent; 0, or SV_BAD with err. */
int sj_int_param(serve_req *q, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *v);
/* Strict decimal in [0, INT64_MAX]: 0, or -1. */
int sj_parse_id(const char *s, int64_t *v);

/* Bound parameters of a statement: integers, text, or NULL. */
typedef struct sj_bind {
    int is_text;
    int is_null;
    int64_t i;
    const char *t;
} sj_bind;
#define SJ_INT(v) ((sj_bind){0, 0, (v), NULL})
#define SJ_TEXT(v) ((sj_bind){1, (v) == NULL, 0, (v)})

enum { SJ_OBJECTS = 0, SJ_ARRAYS = 1, SJ_ONE = 2 };
/* Run sql with binds and write its rows: SJ_OBJECTS an array of objects keyed by column;
 * SJ_ARRAYS {"columns": [...], "rows": [[...]], "truncated": bool}; SJ_ONE the first row
 * as an object, or null.  At most cap rows.  Returns 0 (*nrows the rows written, may be
 * NULL), SV_BAD for SQL the user gave, SV_ERROR otherwise, with err set. */
int sj_rows(serve_req *q, int mode, const char *sql, const sj_bind *binds, int nbinds, int cap,
            int *nrows);
/* The same rows as CSV (RFC 4180, LF line ends), header first. */
int sj_csv(serve_req *q, const char *sql, const sj_bind *binds, int nbinds, int cap);
/* One integer from sql (its first column of its first row), def when no row. */
int sj_int(serve_req *q, const char *sql, const sj_bind *binds, int nbinds, int64_t def,
           int64_t *v);
/* err <- fmt, returns status */
int sj_fail(serve_req *q, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- the API (serve_api_*.c) ---- */
int api_meta(serve_req *q);
int api_runs(serve_req *q);
int api_sweep(serve_req *q);
int api_run(serve_req *q);
int api_diagram(serve_req *q);
int api_message(serve_req *q);
int api_state(serve_req *q);
int api_history(serve_req *q);
int api_sql(serve_req *q);
/* SV_OK when run id exists, else SV_NOTFOUND with err. */
int api_run_exists(serve_req *q, int64_t id);

#endif /* FL_SIM_SERVE_SERVE_IMPL_H */

/*
 * cursor.c -- read-only SQL over a faultline database: fl_db_query and fl_db_cursor
 * (see db.h).
 *
 * The SQL may come from a user (`faultline query`, the web UI), so "read-only" is
 * enforced four ways: the connection is read-only (mode=ro, PRAGMA query_only: db.c);
 * an authorizer active while the statement is prepared denies ATTACH/DETACH (they
 * create and open files), every write, transaction control, load_extension() and
 * pragmas that set anything; sqlite3_stmt_readonly() must then be true; and exactly one
 * statement is accepted, so nothing can hide behind a first harmless one.  An optional
 * time limit (fl_db_set_time_limit) interrupts a statement that runs too long.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "storage/db.h"
#include "storage/db_impl.h"

#define READONLY_MSG "query: only read-only SQL is allowed"

struct fl_db_cursor {
    fl_db *db;
    sqlite3_stmt *st;
    int ncols;
    int done;
};

static void set_err(char *err, size_t cap, const char *msg)
{
    if (err != NULL && cap > 0)
        snprintf(err, cap, "%s", msg);
}

/* Pragmas that only describe the schema; any other pragma is allowed only without a
 * value (reading a setting), e.g. `PRAGMA page_size`. */
static int pragma_is_introspection(const char *name)
{
    static const char *const ok[] = {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "function_list",
        "collation_list",
        "module_list",
        "pragma_list",
        "compile_options",
        NULL,
    };
    for (int i = 0; ok[i] != NULL; i++)
        if (sqlite3_stricmp(name, ok[i]) == 0)
            return 1;
    return 0;
}

static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *db,
                     const char *trigger)
{
    (void)ctx, (void)db, (void)trigger;
    switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
    case SQLITE_UPDATE:
        /* Setting up a table-valued function (json_each) reports UPDATEs of sqlite_master
         * columns; a real write of the schema is refused anyway (DEFENSIVE, query_only,
         * sqlite3_stmt_readonly). */
        return a1 != NULL && (sqlite3_stricmp(a1, "sqlite_master") == 0 ||
                              sqlite3_stricmp(a1, "sqlite_temp_master") == 0)
                   ? SQLITE_OK
                   : SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_DELETE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
    case SQLITE_ALTER_TABLE:
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
        return SQLITE_DENY;
    case SQLITE_FUNCTION: /* a2: the function's name; loading code is never a read */
        return a2 != NULL && sqlite3_stricmp(a2, "load_extension") == 0 ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_PRAGMA:
        return a2 == NULL || pragma_is_introspection(a1) ? SQLITE_OK : SQLITE_DENY;
    default:
        return SQLITE_OK;
    }
}

/* Prepare one statement under the authorizer.  *st is NULL when sql holds none. */
static int prepare_guarded(sqlite3 *h, const char *sql, sqlite3_stmt **st, const char **tail)
{
    sqlite3_set_authorizer(h, authorize, NULL);
    int rc = sqlite3_prepare_v2(h, sql, -1, st, tail);
    sqlite3_set_authorizer(h, NULL, NULL);
    return rc;
}

/* A user's SQL error is bad input (exit 2), not a database failure. */
static int query_error(fl_db *db, int rc, char *err, size_t cap)
{
    const char *msg = sqlite3_errmsg(fl_db_sqlite(db));
    if ((rc & 0xff) == SQLITE_AUTH ||
        ((rc & 0xff) == SQLITE_ERROR && strncmp(msg, "not authorized", 14) == 0)) {
        /* a denied function (load_extension) is reported as an SQL error */
        set_err(err, cap, READONLY_MSG);
        return FL_EINVAL;
    }
    if ((rc & 0xff) == SQLITE_INTERRUPT && fl_db_time_limit(db) > 0) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "query: stopped after the time limit of %d ms",
                     fl_db_time_limit(db));
        return FL_ELIMIT;
    }
    if ((rc & 0xff) == SQLITE_ERROR) { /* the SQL, not the file: say only what is wrong */
        set_err(err, cap, sqlite3_errmsg(fl_db_sqlite(db)));
        return FL_EINVAL;
    }
    return fl_db_error(db, rc, "query", err, cap);
}

/* Only whitespace and comments may follow the statement. */
static int check_tail(fl_db *db, const char *tail, char *err, size_t cap)
{
    sqlite3_stmt *extra = NULL;
    int rc = prepare_guarded(fl_db_sqlite(db), tail, &extra, NULL);
    if (rc != SQLITE_OK)
        return query_error(db, rc, err, cap);
    if (extra != NULL) {
        sqlite3_finalize(extra);
        set_err(err, cap, "query: only one SQL statement is allowed");
        return FL_EINVAL;
    }
    return 0;
}

int fl_db_cursor_open(fl_db *db, const char *sql, fl_db_cursor **out, char *err, size_t cap)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    *out = NULL;
    if (sql == NULL) {
        set_err(err, cap, "query: no SQL");
        return FL_EINVAL;
    }
    int rc = prepare_guarded(fl_db_sqlite(db), sql, &st, &tail);
    if (rc != SQLITE_OK)
        return query_error(db, rc, err, cap);
    if (st == NULL) {
        set_err(err, cap, "query: empty SQL");
        return FL_EINVAL;
    }
    int code = 0;
    if (!sqlite3_stmt_readonly(st)) {
        set_err(err, cap, READONLY_MSG);
        code = FL_EINVAL;
    }
    if (code == 0)
        code = check_tail(db, tail, err, cap);
    fl_db_cursor *c = code == 0 ? calloc(1, sizeof *c) : NULL;
    if (code == 0 && c == NULL) {
        set_err(err, cap, "query: out of memory");
        code = FL_ENOMEM;
    }
    if (code != 0) {
        sqlite3_finalize(st);
        return code;
    }
    c->db = db;
    c->st = st;
    c->ncols = sqlite3_column_count(st);
    fl_db_time_limit_restart(db);
    *out = c;
    return 0;
}

void fl_db_cursor_close(fl_db_cursor *c)
{
    if (c == NULL)
        return;
    sqlite3_finalize(c->st);
    free(c);
}

int fl_db_cursor_bind_int(fl_db_cursor *c, int idx, int64_t v)
{
    int rc = sqlite3_bind_int64(c->st, idx, v);
    return rc == SQLITE_OK ? 0 : FL_EINVAL;
}

int fl_db_cursor_bind_text(fl_db_cursor *c, int idx, const char *s)
{
    int rc = s != NULL ? sqlite3_bind_text(c->st, idx, s, -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(c->st, idx);
    return rc == SQLITE_OK ? 0 : FL_EINVAL;
}

int fl_db_cursor_next(fl_db_cursor *c, char *err, size_t cap)
{
    if (c->done)
        return 0;
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW)
        return 1;
    c->done = 1;
    if (rc == SQLITE_DONE)
        return 0;
    return query_error(c->db, rc, err, cap);
}

int fl_db_cursor_ncols(const fl_db_cursor *c)
{
    return c->ncols;
}

const char *fl_db_cursor_name(const fl_db_cursor *c, int col)
{
    const char *name = sqlite3_column_name(c->st, col);
    return name != NULL ? name : "";
}

int fl_db_cursor_type(const fl_db_cursor *c, int col)
{
    switch (sqlite3_column_type(c->st, col)) {
    case SQLITE_INTEGER:
        return FL_DB_INTEGER;
    case SQLITE_FLOAT:
        return FL_DB_REAL;
    case SQLITE_TEXT:
        return FL_DB_TEXT;
    case SQLITE_BLOB:
        return FL_DB_BLOB;
    default:
        return FL_DB_NULL;
    }
}

int64_t fl_db_cursor_int(const fl_db_cursor *c, int col)
{
    return sqlite3_column_int64(c->st, col);
}

double fl_db_cursor_real(const fl_db_cursor *c, int col)
{
    return sqlite3_column_double(c->st, col);
}

const char *fl_db_cursor_text(const fl_db_cursor *c, int col)
{
    return (const char *)sqlite3_column_text(c->st, col);
}

size_t fl_db_cursor_len(const fl_db_cursor *c, int col)
{
    return (size_t)sqlite3_column_bytes(c->st, col);
}

const void *fl_db_cursor_blob(const fl_db_cursor *c, int col)
{
    return sqlite3_column_blob(c->st, col);
}

/* ---- fl_db_query: the text-only convenience over a cursor ---- */

static int query_rows(fl_db_cursor *c,
                      int (*row)(void *, int, const char *const *, const char *const *), void *ctx,
                      char *err, size_t cap)
{
    int n = c->ncols;
    const char **names = calloc((size_t)n + 1, sizeof *names);
    const char **values = calloc((size_t)n + 1, sizeof *values);
    int rc = 0;
    if (names == NULL || values == NULL) {
        set_err(err, cap, "query: out of memory");
        rc = FL_ENOMEM;
    }
    for (int i = 0; rc == 0 && i < n; i++)
        names[i] = fl_db_cursor_name(c, i);
    while (rc == 0 && (rc = fl_db_cursor_next(c, err, cap)) == 1) {
        /* Texts first, then nothing else touches the row: sqlite3_column_text
         * pointers stay valid while no other conversion happens on their column. */
        for (int i = 0; i < n; i++)
            values[i] = fl_db_cursor_text(c, i);
        rc = row(ctx, n, names, values);
    }
    free(names);
    free(values);
    return rc;
}

int fl_db_query(fl_db *db, const char *sql,
                int (*row)(void *ctx, int ncols, const char *const *names,
                           const char *const *values),
                void *ctx, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, sql, &c, err, cap);
    if (rc != 0)
        return rc;
    rc = query_rows(c, row, ctx, err, cap);
    fl_db_cursor_close(c);
    return rc;
}

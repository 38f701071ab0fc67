/*
 * db.c -- opening, recognising and migrating faultline databases (see db.h).
 *
 * Opening is careful about files that are not ours: before anything is written (even
 * the switch to WAL, which rewrites the header and leaves a -wal file), the file is
 * classified with read-only statements.  Only an empty database or one of ours at an
 * older-or-equal schema version goes further.  Creation and migration run inside
 * BEGIN IMMEDIATE and classify again under the lock, so that several processes of one
 * sweep may open the same new file at once and exactly one of them creates it.
 */
#include "storage/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/digest.h"
#include "core/error.h"
#include "storage/db_impl.h"
#include "storage/schema.h"

#ifndef FL_VERSION
#define FL_VERSION "unknown"
#endif

#define FL_DB_APP_MARKER "faultline"
#define FL_DB_BUSY_MS 10000

#define DB_CACHED_STMTS 8

struct fl_db {
    sqlite3 *h;
    int flags;
    /* statements prepared once per connection, by their SQL text's address */
    struct cached_stmt {
        const char *sql;
        sqlite3_stmt *st;
    } cache[DB_CACHED_STMTS];
    int64_t opened_version; /* the file's schema version when it was opened (0: new) */
    int writer_ready;       /* opened for writing without error: switch back to DELETE */
    int time_limit_ms;      /* fl_db_set_time_limit: 0 none */
    int64_t deadline_ns;    /* CLOCK_MONOTONIC: the running statement stops after it */
    char path[];
};

/* What a file turned out to be, before we touch it. */
enum db_kind { DB_EMPTY, DB_OURS, DB_FOREIGN };

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

struct sqlite3 *fl_db_sqlite(fl_db *db)
{
    return db->h;
}

int64_t fl_db_opened_version(const fl_db *db)
{
    return db->opened_version;
}

const char *fl_db_path(const fl_db *db)
{
    return db->path;
}

int fl_db_readonly(const fl_db *db)
{
    return db->flags == FL_DB_READONLY;
}

/* A busy handler that polls every millisecond up to FL_DB_BUSY_MS: SQLite's own backs
 * off to 100 ms between tries, and would keep missing the short gaps a sweep leaves
 * between its batches (sweep_results.c) while another sweep writes the same file. */
static int busy_poll(void *ctx, int tries)
{
    (void)ctx;
    if (tries >= FL_DB_BUSY_MS)
        return 0;
    sqlite3_sleep(1);
    return 1;
}

void fl_db_set_busy_timeout(fl_db *db, int ms)
{
    sqlite3_busy_timeout(db->h, ms);
}

/* ---- the time limit of user SQL (serve) ---- */

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall time: limits a reader, never a run */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* SQLite calls this every few thousand virtual machine instructions; nonzero
 * interrupts the statement (SQLITE_INTERRUPT), which is how a runaway recursive CTE
 * that never returns a row is stopped. */
static int past_deadline(void *ctx)
{
    const fl_db *db = ctx;
    return monotonic_ns() > db->deadline_ns;
}

void fl_db_set_time_limit(fl_db *db, int ms)
{
    db->time_limit_ms = ms > 0 ? ms : 0;
    db->deadline_ns = INT64_MAX;
    sqlite3_progress_handler(db->h, ms > 0 ? 4000 : 0, ms > 0 ? past_deadline : NULL, db);
}

int fl_db_time_limit(const fl_db *db)
{
    return db->time_limit_ms;
}

void fl_db_time_limit_restart(fl_db *db)
{
    if (db->time_limit_ms > 0)
        db->deadline_ns = monotonic_ns() + (int64_t)db->time_limit_ms * 1000000;
}

/* Run one statement that returns at most one integer; *out is left alone when it
 * returns no row. */
static int query_int(sqlite3 *h, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Our meta table, read without assuming it exists: the marker must match. */
static int read_meta(sqlite3 *h, int *is_ours, int64_t *version)
{
    int64_t has_meta = 0;
    int rc = query_int(
        h, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'", &has_meta);
    if (rc != SQLITE_OK || has_meta == 0)
        return rc;
    int64_t marker = 0;
    rc = query_int(h,
                   "SELECT count(*) FROM meta WHERE key = 'app' AND value = '" FL_DB_APP_MARKER "'",
                   &marker);
    if (rc != SQLITE_OK || marker == 0)
        return rc == SQLITE_ERROR ? SQLITE_OK : rc; /* a foreign "meta" table */
    *is_ours = 1;
    return query_int(h, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
                     version);
}

/* Classify the file with read-only statements only. */
static int classify(fl_db *db, enum db_kind *kind, int64_t *version, char *err, size_t cap)
{
    int64_t app_id = 0, nobjects = 0;
    int ours = 0;
    *version = 0;
    int rc = query_int(db->h, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK)
        rc = query_int(db->h, "SELECT count(*) FROM sqlite_schema", &nobjects);
    if (rc == SQLITE_OK && app_id == FL_DB_APP_ID)
        rc = read_meta(db->h, &ours, version);
    if ((rc & 0xff) == SQLITE_NOTADB) {
        *kind = DB_FOREIGN;
        return 0;
    }
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, db->path, err, cap);
    if (app_id == 0 && nobjects == 0)
        *kind = DB_EMPTY;
    else
        *kind = ours ? DB_OURS : DB_FOREIGN;
    return 0;
}

/* Refuse what we must not touch; say why in one line. */
static int check_kind(fl_db *db, enum db_kind kind, int64_t version, char *err, size_t cap)
{
    if (kind == DB_FOREIGN || (kind == DB_EMPTY && db->flags == FL_DB_READONLY)) {
        set_err(err, cap,
                "%s: not a faultline database (give a file that faultline recorded, or a new"
                " path)",
                db->path);
        return FL_ESCHEMA;
    }
    if (kind == DB_OURS && version > FL_DB_SCHEMA_VERSION) {
        set_err(err, cap,
                "%s: schema version %lld is newer than this faultline (%s) supports (%d): use"
                " a newer faultline",
                db->path, (long long)version, FL_VERSION, FL_DB_SCHEMA_VERSION);
        return FL_ESCHEMA;
    }
    if (kind == DB_OURS && version < 1) {
        set_err(err, cap, "%s: bad schema_version %lld in meta", db->path, (long long)version);
        return FL_ESCHEMA;
    }
    return 0;
}

static int exec(fl_db *db, const char *sql, const char *what, char *err, size_t cap)
{
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, what, err, cap);
}

/* Apply the migration steps from `from` up, then stamp meta and the app id. */
static int apply_migrations(fl_db *db, int64_t from, char *err, size_t cap)
{
    char sql[256];
    for (int64_t v = from; v < FL_DB_SCHEMA_VERSION; v++) {
        int rc = exec(db, fl_db_migrations[v], "migrate", err, cap);
        if (rc != 0)
            return rc;
    }
    snprintf(sql, sizeof sql,
             "PRAGMA application_id = %d;"
             "INSERT OR REPLACE INTO meta(key, value) VALUES"
             " ('app', '" FL_DB_APP_MARKER "'), ('schema_version', '%d'),"
             " ('faultline_version', '%s');",
             FL_DB_APP_ID, FL_DB_SCHEMA_VERSION, FL_VERSION);
    return exec(db, sql, "migrate", err, cap);
}

/* Create or migrate under the write lock; classify again there because another
 * process may have done it between our first look and the lock. */
static int migrate(fl_db *db, char *err, size_t cap)
{
    int rc = exec(db, "BEGIN IMMEDIATE", "migrate", err, cap);
    if (rc != 0)
        return rc;
    enum db_kind kind;
    int64_t version;
    rc = classify(db, &kind, &version, err, cap);
    if (rc == 0)
        rc = check_kind(db, kind, version, err, cap);
    if (rc == 0 && !(kind == DB_OURS && version == FL_DB_SCHEMA_VERSION))
        rc = apply_migrations(db, kind == DB_EMPTY ? 0 : version, err, cap);
    if (rc == 0)
        return exec(db, "COMMIT", "migrate", err, cap);
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The URI of a read-only connection to path: mode=ro, so that a reader never writes
 * (nor creates the file), and immutable=1 when no -wal file exists, so that it needs no
 * -shm file either (a read-only directory).  With a -wal file a writer may be active:
 * then the reader takes part in WAL's locking, which needs the -shm file. */
static int reader_uri(const char *path, char *uri, size_t cap)
{
    char wal[PATH_MAX + 8];
    size_t n = (size_t)snprintf(uri, cap, "file:");
    snprintf(wal, sizeof wal, "%s-wal", path);
    while (path[0] == '/' && path[1] == '/')
        path++; /* "file://" would start an authority */
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < cap; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
            n += (size_t)snprintf(uri + n, cap - n, "%%%02X", *p);
        else
            uri[n++] = (char)*p;
    }
    int immutable = access(wal, F_OK) != 0;
    int len = snprintf(uri + n, cap - n, "?mode=ro%s", immutable ? "&immutable=1" : "");
    return len < 0 || (size_t)len >= cap - n;
}

/* SQLite's memory statistics take a global mutex on every allocation, a few per
 * inserted row; nothing here reads them.  Only possible before SQLite initialises
 * (MISUSE after, harmless). */
static void configure_sqlite_once(void)
{
    static int done;
    if (!done)
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    done = 1;
}

static int open_handle(fl_db *db, char *err, size_t cap)
{
    configure_sqlite_once();
    int base = SQLITE_OPEN_NOMUTEX;
    int rc;
    if (db->flags == FL_DB_CREATE) {
        rc = sqlite3_open_v2(db->path, &db->h, base | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             NULL);
    } else {
        char uri[3 * PATH_MAX + 32];
        if (reader_uri(db->path, uri, sizeof uri)) {
            set_err(err, cap, "%s: path too long", db->path);
            return FL_EINVAL;
        }
        rc = sqlite3_open_v2(uri, &db->h, base | SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    }
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, db->path, err, cap);
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_handler(db->h, busy_poll, NULL);
    /* No writable_schema tricks or other footguns from user SQL (query, serve). */
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    return 0;
}

/* Switch the file to WAL (it stays so).  Switching needs an exclusive lock, and SQLite
 * answers BUSY at once, without the busy handler, while another process holds a lock
 * (e.g. it is creating the same new file): so wait and retry here, up to the busy
 * timeout.  A file already in WAL mode needs no lock. */
static int ensure_wal(fl_db *db, char *err, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL);
    int is_wal = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
                 sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    for (int waited_ms = 0, delay_ms = 1; !is_wal; waited_ms += delay_ms) {
        rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= FL_DB_BUSY_MS)
            return fl_db_error(db, rc, "journal_mode", err, cap);
        sqlite3_sleep(delay_ms);
        delay_ms = delay_ms < 64 ? 2 * delay_ms : delay_ms;
    }
    return 0;
}

/* Per-connection settings of a writer.  synchronous=NORMAL in WAL mode cannot
 * corrupt the file; a power cut may lose the last commits, which a sweep re-runs. */
static int setup_writer(fl_db *db, char *err, size_t cap)
{
    int rc = ensure_wal(db, err, cap);
    if (rc == 0)
        rc = exec(db, "PRAGMA synchronous = NORMAL", "synchronous", err, cap);
    return rc;
}

/* Classify in one read transaction: each statement alone would see its own snapshot,
 * and a file that another process is creating right now would look half-made
 * (application id not yet set but tables present: "foreign"). */
static int classify_snapshot(fl_db *db, enum db_kind *kind, int64_t *version, char *err, size_t cap)
{
    int rc = exec(db, "BEGIN", "open", err, cap);
    if (rc == 0)
        rc = classify(db, kind, version, err, cap);
    sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* A reader that failed to open a file with a -wal file in a directory it cannot write:
 * the one case where reading needs more than read access (docs/sql.md). */
static int explain_reader_failure(fl_db *db, int rc, char *err, size_t cap)
{
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", db->path);
    if (rc != FL_EBADDB || access(wal, F_OK) != 0)
        return rc;
    set_err(err, cap,
            "%s: cannot read while %s exists (a writer is active, or was killed) unless the"
            " directory is writable for its -shm file: let the writer finish, or run any"
            " faultline write on it, e.g. `faultline run --db %s`, where it is writable",
            db->path, wal, db->path);
    return rc;
}

static int open_checked(fl_db *db, char *err, size_t cap)
{
    enum db_kind kind = DB_EMPTY;
    int64_t version = 0;
    int rc = open_handle(db, err, cap);
    if (rc == 0)
        rc = classify_snapshot(db, &kind, &version, err, cap);
    if (rc == 0)
        rc = check_kind(db, kind, version, err, cap);
    db->opened_version = kind == DB_OURS ? version : 0;
    if (rc != 0 || db->flags == FL_DB_READONLY) {
        if (rc == 0 && sqlite3_db_readonly(db->h, "main") == 0)
            rc = exec(db, "PRAGMA query_only = ON", "query_only", err, cap);
        return db->flags == FL_DB_READONLY ? explain_reader_failure(db, rc, err, cap) : rc;
    }
    /* A damaged file is refused before a writer changes anything in it (a sweep that
     * resumes would otherwise count the seeds of an unreadable page as never run). */
    if (kind == DB_OURS)
        rc = fl_db_verify(db, err, cap);
    if (rc == 0)
        rc = setup_writer(db, err, cap);
    if (rc == 0 && !(kind == DB_OURS && version == FL_DB_SCHEMA_VERSION))
        rc = migrate(db, err, cap);
    db->writer_ready = rc == 0;
    return rc;
}

int fl_db_open(fl_db **out, const char *path, int flags, char *err, size_t cap)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0' || (flags != FL_DB_READONLY && flags != FL_DB_CREATE)) {
        set_err(err, cap, "database: invalid path or flags");
        return FL_EINVAL;
    }
    int rc = fl_db_preflight(path, flags, err, cap);
    if (rc != 0)
        return rc;
    size_t len = strlen(path);
    fl_db *db = calloc(1, sizeof *db + len + 1);
    if (db == NULL) {
        set_err(err, cap, "%s: out of memory", path);
        return FL_ENOMEM;
    }
    memcpy(db->path, path, len + 1);
    db->flags = flags;
    rc = open_checked(db, err, cap);
    if (rc != 0) {
        fl_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

int fl_db_cached_stmt(fl_db *db, const char *sql, sqlite3_stmt **out)
{
    for (int i = 0; i < DB_CACHED_STMTS; i++) {
        struct cached_stmt *c = &db->cache[i];
        if (c->sql == sql) {
            sqlite3_reset(c->st);
            sqlite3_clear_bindings(c->st);
            *out = c->st;
            return SQLITE_OK;
        }
        if (c->sql == NULL) {
            int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st, NULL);
            if (rc == SQLITE_OK)
                c->sql = sql;
            *out = c->st;
            return rc;
        }
    }
    return SQLITE_FULL; /* more statements than the cache holds: a programming error */
}

void fl_db_close(fl_db *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < DB_CACHED_STMTS; i++)
        sqlite3_finalize(db->cache[i].st);
    /* Back to a rollback journal, so that readers in a read-only directory need no -shm
     * file.  Best effort, without waiting: while another connection has the file open
     * (a sweep's other process, a reader) the switch fails and the file stays in WAL. */
    if (db->writer_ready) {
        sqlite3_busy_timeout(db->h, 0);
        sqlite3_exec(db->h, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    }
    /* close_v2: statements a caller forgot do not keep the file open forever. */
    sqlite3_close_v2(db->h);
    free(db);
}

/* ---- scenarios ---- */

static int scenario_insert(fl_db *db, const char *hash, const char *name, const char *json)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        db->h,
        "INSERT INTO scenarios(hash, name, json) VALUES (?, ?, ?) ON CONFLICT(hash) DO NOTHING", -1,
        &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The id of the row with this hash; *same says whether its JSON is ours (a 64-bit hash
 * collision is unlikely, but would silently merge two scenarios). */
static int scenario_lookup(fl_db *db, const char *hash, const char *json, int64_t *id, int *same)
{
    sqlite3_stmt *st;
    int rc =
        sqlite3_prepare_v2(db->h, "SELECT id, json FROM scenarios WHERE hash = ?", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *stored = (const char *)sqlite3_column_text(st, 1);
        *id = sqlite3_column_int64(st, 0);
        *same = stored != NULL && strcmp(stored, json) == 0;
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_NOTFOUND;
    }
    sqlite3_finalize(st);
    return rc;
}

int fl_db_scenario_plugin_path(fl_db *db, int64_t id, const char *path, char *err, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, "UPDATE scenarios SET plugin_path = ? WHERE id = ?", -1, &st,
                                NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : fl_db_error(db, rc, "scenario", err, cap);
}

int fl_db_scenario_id(fl_db *db, const char *name, const char *json, int64_t *id, char *err,
                      size_t cap)
{
    char hash[17];
    int same = 0;
    if (json == NULL) {
        set_err(err, cap, "scenario: no JSON text");
        return FL_EINVAL;
    }
    fl_digest_hex(fl_digest_bytes(FL_DIGEST_INIT, json, strlen(json)), hash);
    int rc = scenario_insert(db, hash, name != NULL ? name : "", json);
    if (rc == SQLITE_OK)
        rc = scenario_lookup(db, hash, json, id, &same);
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, "scenario", err, cap);
    if (!same) {
        set_err(err, cap, "scenario: hash %s collides with a different stored scenario", hash);
        return FL_EDB;
    }
    return 0;
}

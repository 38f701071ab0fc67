/*
 * db_errors.c -- what a database problem is called and what the user should do (see
 * db.h and docs/cli.md's exit codes).
 *
 * A database the user gave that cannot be used as it is -- a directory, a path in a
 * missing directory, a read-only file or directory, a file another process holds
 * locked, a damaged file -- is FL_EBADDB, an input error (exit 2), said in one line that
 * names the file and what to do.  A write that fails (disk full, I/O error) is FL_EIO
 * (exit 3).  The path checks run before SQLite opens anything, so that a failed write
 * attempt leaves no -wal or -shm file behind to block the next one.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/error.h"
#include "storage/db.h"
#include "storage/db_impl.h"

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

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return 0;
    case SQLITE_NOMEM:
        return FL_ENOMEM;
    case SQLITE_IOERR:
        /* a file shorter than its header says is damaged, not a failed write */
        return rc == SQLITE_IOERR_SHORT_READ ? FL_EBADDB : FL_EIO;
    case SQLITE_FULL:
        return FL_EIO;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CORRUPT:
        return FL_EBADDB;
    case SQLITE_NOTADB:
        return FL_ESCHEMA;
    case SQLITE_TOOBIG:
        return FL_ELIMIT;
    default:
        return FL_EDB;
    }
}

/* What to do about a failure of class rc, or NULL when it is faultline's own. */
static const char *advice(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "another process holds it locked: wait until it is done, or use another file";
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return "make the file and its directory writable, or use another file";
    case SQLITE_CANTOPEN:
        return "check that it is a readable file in an existing directory";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "the file is damaged: keep it aside and record into a new file;"
               " `sqlite3 FILE .recover` may save the rest";
    case SQLITE_FULL:
        return "free some space, then run the same command again: a sweep resumes";
    case SQLITE_IOERR:
        return rc == SQLITE_IOERR_SHORT_READ
                   ? "the file is truncated: keep it aside and record into a new file"
                   : "check the disk, then run the same command again: a sweep resumes";
    default:
        return NULL;
    }
}

/* "file: why (todo)", with FILE in todo replaced by the file's name. */
static void say_with_advice(char *err, size_t cap, const char *file, const char *why,
                            const char *todo)
{
    const char *at = strstr(todo, "FILE");
    if (at == NULL)
        set_err(err, cap, "%s: %s (%s)", file, why, todo);
    else
        set_err(err, cap, "%s: %s (%.*s%s%s)", file, why, (int)(at - todo), todo, file, at + 4);
}

int fl_db_error_file(fl_db *db, int rc, const char *file, const char *what, char *err, size_t cap)
{
    sqlite3 *h = db != NULL ? fl_db_sqlite(db) : NULL;
    const char *why = h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
    const char *todo = advice(rc);
    if (todo != NULL) /* the file is the problem, not the operation: no "what:" */
        say_with_advice(err, cap, file, why, todo);
    else if (what != NULL && strcmp(what, file) != 0)
        set_err(err, cap, "%s: %s: %s", file, what, why);
    else
        set_err(err, cap, "%s: %s", file, why);
    int code = map_rc(rc);
    return code != 0 ? code : FL_EDB;
}

int fl_db_error(fl_db *db, int rc, const char *what, char *err, size_t cap)
{
    return fl_db_error_file(db, rc, db != NULL ? fl_db_path(db) : "database", what, err, cap);
}

/* The directory that holds path (".": none named), into dir. */
static void dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, cap, ".");
        return;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    snprintf(dir, cap, "%.*s", (int)(n < cap ? n : cap - 1), path);
}

/* A writer's checks: the file (if any) and its directory writable, and no -shm left
 * behind by another user that SQLite could not open. */
static int preflight_writer(const char *path, int exists, char *err, size_t cap)
{
    char dir[PATH_MAX], shm[PATH_MAX + 8];
    struct stat st;
    dir_of(path, dir, sizeof dir);
    if (!exists && stat(dir, &st) != 0) {
        set_err(err, cap, "%s: directory %s: %s (create it first, or use another file)", path, dir,
                strerror(errno));
        return FL_EBADDB;
    }
    if (exists && access(path, R_OK | W_OK) != 0) {
        set_err(err, cap, "%s: cannot write: %s (make it writable, or use another file)", path,
                strerror(errno));
        return FL_EBADDB;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        set_err(err, cap,
                "%s: cannot write in directory %s: %s (SQLite keeps its -wal and -shm files"
                " beside the database: make the directory writable, or use another file)",
                path, dir, strerror(errno));
        return FL_EBADDB;
    }
    snprintf(shm, sizeof shm, "%s-shm", path);
    if (access(shm, F_OK) == 0 && access(shm, R_OK | W_OK) != 0) {
        set_err(err, cap,
                "%s: cannot write: %s (left behind by another user; remove it when no"
                " faultline uses %s)",
                shm, strerror(errno), path);
        return FL_EBADDB;
    }
    return 0;
}

int fl_db_preflight(const char *path, int flags, char *err, size_t cap)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        set_err(err, cap, "%s: %s (check the path and its permissions)", path, strerror(errno));
        return FL_EBADDB;
    }
    if (exists && S_ISDIR(st.st_mode)) {
        set_err(err, cap, "%s: is a directory (give the path of a database file)", path);
        return FL_EBADDB;
    }
    if (flags == FL_DB_READONLY) {
        if (!exists) {
            set_err(err, cap, "%s: %s", path, strerror(ENOENT));
            return FL_ENOTFOUND;
        }
        if (access(path, R_OK) != 0) {
            set_err(err, cap, "%s: cannot read: %s", path, strerror(errno));
            return FL_EBADDB;
        }
        return 0;
    }
    return preflight_writer(path, exists, err, cap);
}

/* The first line of quick_check's answer into line ("ok" when sound). */
static int quick_check(sqlite3 *h, char *line, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(line, cap, "%s", t != NULL ? (const char *)t : "?");
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int fl_db_verify(fl_db *db, char *err, size_t cap)
{
    char line[256] = "";
    int rc = quick_check(fl_db_sqlite(db), line, sizeof line);
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, "quick_check", err, cap);
    if (strcmp(line, "ok") == 0)
        return 0;
    char *text = strncmp(line, "*** in database main ***", 24) == 0 ? line + 25 : line;
    for (char *p = text; *p; p++) /* one line, whatever SQLite said */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    char why[320];
    snprintf(why, sizeof why, "damaged database (quick_check: %s)", text);
    say_with_advice(err, cap, fl_db_path(db), why, advice(SQLITE_CORRUPT));
    return FL_EBADDB;
}

/*
 * db.h -- a faultline database: one SQLite file holding many runs.
 *
 * A writer works in WAL mode with a busy timeout, so that `query` and `serve` can read
 * while a sweep writes, and switches the file back to journal_mode=DELETE when it
 * closes cleanly (best effort), so that readers need no -shm file.  Readers open the
 * file read-only (mode=ro), and immutable when no -wal file exists, so that they work on
 * a read-only file in a read-only directory.  A file is ours only if it carries our
 * application id and a `meta` table saying so; anything else is refused before a single
 * byte of it is changed (no tables created, no switch to WAL).  The schema and what is
 * guaranteed to readers are in docs/sql.md.
 *
 * An fl_db is one SQLite connection: use it from one thread at a time.  Everything
 * SQLite-specific stays inside storage/: callers see FL_E* codes and messages of the
 * form "what: why".
 */
#ifndef FL_STORAGE_DB_H
#define FL_STORAGE_DB_H

#include <stddef.h>
#include <stdint.h>

#define FL_DB_SCHEMA_VERSION 4
/* PRAGMA application_id of every faultline database: "FLT\x01". */
#define FL_DB_APP_ID 0x464c5401

typedef struct fl_db fl_db;

enum { FL_DB_READONLY = 0, FL_DB_CREATE = 1 };

/* Open (and with FL_DB_CREATE, create and migrate) a faultline database.  A file that
 * is not SQLite, is SQLite but not ours, or has a newer schema_version gives
 * FL_ESCHEMA ("x.db: not a faultline database") and is left untouched.  A file of an
 * older schema opens read-only as it is (readers handle every older version).  A missing
 * file with FL_DB_READONLY gives FL_ENOTFOUND.  An empty (0-byte) file counts as a
 * new database.  A path that cannot be used as given (a directory, a missing
 * directory, not writable for FL_DB_CREATE, locked by another process, damaged) gives
 * FL_EBADDB, and no -wal or -shm file is left behind.  FL_DB_CREATE on an existing
 * database runs fl_db_verify() before it changes anything.  On success *out is the
 * handle (free with fl_db_close()). */
int fl_db_open(fl_db **out, const char *path, int flags, char *err, size_t cap);
void fl_db_close(fl_db *db); /* NULL ok */

/* PRAGMA quick_check: 0 when the file is sound, FL_EBADDB ("x.db: damaged database
 * (quick_check: ...) (what to do)") when not.  Reads every page: 0.45 s for 600 MB in
 * the page cache. */
int fl_db_verify(fl_db *db, char *err, size_t cap);

const char *fl_db_path(const fl_db *db);
/* The file's schema version as it was when opened: older than FL_DB_SCHEMA_VERSION
 * for a file opened read-only that `faultline migrate` would upgrade (a writer
 * migrates on open); 0 for a new file. */
int64_t fl_db_opened_version(const fl_db *db);
/* Nonzero when opened with FL_DB_READONLY. */
int fl_db_readonly(const fl_db *db);
/* How long a statement waits for another writer's lock before failing (default 10 s).
 * A sweep that records whole runs from several processes may want more. */
void fl_db_set_busy_timeout(fl_db *db, int ms);

/* A time limit for every statement a cursor runs (the web UI's SQL box: a runaway
 * recursive CTE must not hold the server): a statement still running ms milliseconds
 * after its cursor was opened is interrupted, and fl_db_cursor_next fails with FL_ELIMIT
 * "query: stopped after the time limit of N ms".  The clock starts again at each
 * fl_db_cursor_open on this connection.  0 removes the limit (the default). */
void fl_db_set_time_limit(fl_db *db, int ms);
int fl_db_time_limit(const fl_db *db);

/* Insert the scenario if new (identified by a hash of its canonical JSON text, which
 * the caller provides) and return its id in *id.  Borrows name and json. */
int fl_db_scenario_id(fl_db *db, const char *name, const char *json, int64_t *id, char *err,
                      size_t cap);
/* Remember where scenario id's plugin was loaded from (scenarios.plugin_path): a hint
 * for replay, outside the hashed identity, so that shards on machines with other paths
 * share one scenario. */
int fl_db_scenario_plugin_path(fl_db *db, int64_t id, const char *path, char *err, size_t cap);

/* ---- read-only queries ---- */

/* Run one read-only SQL statement (anything that could write, attach a file or
 * control transactions: FL_EINVAL "query: only read-only SQL is allowed"; more than
 * one statement: FL_EINVAL).  Calls row(ctx, ncols, names, values) per row with the
 * values as text (SQL NULL -> NULL pointer); all pointers are valid during the call
 * only.  A nonzero return from row stops the query and is returned as is (use a
 * negative FL_E code for an error, a positive value to stop early). */
int fl_db_query(fl_db *db, const char *sql,
                int (*row)(void *ctx, int ncols, const char *const *names,
                           const char *const *values),
                void *ctx, char *err, size_t cap);

/* A cursor over the rows of one read-only statement, with typed values: what
 * results/ (table/CSV/JSON output), the web UI and the replay tools read with.
 *
 *   fl_db_cursor *c;
 *   if (fl_db_cursor_open(db, "SELECT seed FROM runs WHERE id = ?", &c, err, cap) == 0) {
 *       fl_db_cursor_bind_int(c, 1, run_id);
 *       while ((rc = fl_db_cursor_next(c, err, cap)) == 1)
 *           use(fl_db_cursor_int(c, 0));
 *       fl_db_cursor_close(c);
 *   }
 */
typedef struct fl_db_cursor fl_db_cursor;

/* Column types, as SQLite stores each value (a column may mix them). */
enum { FL_DB_NULL = 0, FL_DB_INTEGER, FL_DB_REAL, FL_DB_TEXT, FL_DB_BLOB };

/* Prepare sql (one read-only statement, as fl_db_query).  Free with
 * fl_db_cursor_close(), which is a no-op for NULL. */
int fl_db_cursor_open(fl_db *db, const char *sql, fl_db_cursor **out, char *err, size_t cap);
void fl_db_cursor_close(fl_db_cursor *c);
/* Bind parameter idx (1-based) before the first fl_db_cursor_next().  Text is copied. */
int fl_db_cursor_bind_int(fl_db_cursor *c, int idx, int64_t v);
int fl_db_cursor_bind_text(fl_db_cursor *c, int idx, const char *s);
/* Step to the next row: 1 a row is ready, 0 no more rows, < 0 an FL_E code (message
 * in err). */
int fl_db_cursor_next(fl_db_cursor *c, char *err, size_t cap);
int fl_db_cursor_ncols(const fl_db_cursor *c);
const char *fl_db_cursor_name(const fl_db_cursor *c, int col);
/* The current row's values.  Text and blob pointers are valid until the next
 * fl_db_cursor_next() or close; text is NULL for SQL NULL; len counts bytes. */
int fl_db_cursor_type(const fl_db_cursor *c, int col);
int64_t fl_db_cursor_int(const fl_db_cursor *c, int col);
double fl_db_cursor_real(const fl_db_cursor *c, int col);
const char *fl_db_cursor_text(const fl_db_cursor *c, int col);
size_t fl_db_cursor_len(const fl_db_cursor *c, int col);
const void *fl_db_cursor_blob(const fl_db_cursor *c, int col);

/* ---- sweeps ---- */

/* Find the sweep with the same scenario, seed range and shard ("K/N" or NULL) and
 * mark it running again (*resumed = 1), or create one (*resumed = 0).  jobs is
 * informational.  Borrows shard. */
int fl_db_sweep_open(fl_db *db, int64_t scenario_id, uint64_t seeds_from, uint64_t seeds_to,
                     const char *shard, int jobs, int64_t *sweep_id, int *resumed, char *err,
                     size_t cap);
/* Set the sweep's status ("running", "interrupted", "done"); "done" and
 * "interrupted" also set finished_at. */
int fl_db_sweep_status(fl_db *db, int64_t sweep_id, const char *status, char *err, size_t cap);
/* Call fn(ctx, seed) for every seed that a sweep of the scenario already ran (its
 * origin = 'sweep' runs, whatever their sweep's range or shard), in seed order: each
 * seed runs once across sweeps. */
int fl_db_sweep_seeds_done(fl_db *db, int64_t scenario_id, void (*fn)(void *ctx, uint64_t seed),
                           void *ctx, char *err, size_t cap);
/* Call fn for every sweep run of the scenario whose full recording is still to come
 * (recorded = 'pending'), in seed order. */
int fl_db_sweep_pending(fl_db *db, int64_t scenario_id,
                        void (*fn)(void *ctx, uint64_t seed, int64_t run_id, const char *digest),
                        void *ctx, char *err, size_t cap);
/* Set a run's recorded column ("none", "all", "pending"). */
int fl_db_run_set_recorded(fl_db *db, int64_t run_id, const char *recorded, char *err, size_t cap);

/* One `faultline shrink` (storage/shrink.c): a `shrinks` row (schema 4). */
typedef struct fl_db_shrink {
    int64_t original_run, shrunk_run;
    const char *check; /* the check kept, or NULL (any violation) */
    int any_violation; /* keep = 'any_violation' instead of 'same_check' */
    uint64_t decisions_before, decisions_after, ops_before, ops_after;
    uint64_t steps_before, steps_after, candidates;
    int64_t wall_us;
    int minimal;
    const char *schedule_json; /* the minimal schedule */
} fl_db_shrink;
/* Insert the row; 0 with its id in *id (may be NULL), or FL_EDB / FL_EIO with a
 * message in err. */
int fl_db_shrink_insert(fl_db *db, const fl_db_shrink *s, int64_t *id, char *err, size_t cap);

/* A batch: one write transaction over the rows of many runs, which fl_recorder joins
 * instead of opening its own (a sweep commits every fraction of a second, not every
 * run).  Rollback is a no-op outside a transaction. */
int fl_db_batch_begin(fl_db *db, char *err, size_t cap);
int fl_db_batch_commit(fl_db *db, char *err, size_t cap);
void fl_db_batch_rollback(fl_db *db);
int fl_db_in_batch(fl_db *db);
/* Delete a run's rows from every table that has a run_id column, the runs row excepted;
 * keep_bare keeps what a bare row has (faults, metrics): the rows of a full recording
 * that did not finish go, its bare row stays. */
int fl_db_run_drop_rows(fl_db *db, int64_t run_id, int keep_bare, char *err, size_t cap);

/* ---- for storage/ itself (recorder.c) ---- */

struct sqlite3;
struct sqlite3 *fl_db_sqlite(fl_db *db);
/* A statement of static SQL text (identified by its address), prepared once per
 * connection and reset for reuse; the connection owns it: never finalize it.  Returns an
 * SQLite result code. */
struct sqlite3_stmt;
int fl_db_cached_stmt(fl_db *db, const char *sql, struct sqlite3_stmt **out);
/* Translate a SQLite result code into an FL_E code and write the line into err: for a
 * problem of the file (locked, read-only, damaged, full: FL_EBADDB or FL_EIO) "path:
 * sqlite's message (what to do)", else "path: what: sqlite's message". */
int fl_db_error(fl_db *db, int sqlite_rc, const char *what, char *err, size_t cap);
/* The same about another file than db's own (an attached input). */
int fl_db_error_file(fl_db *db, int sqlite_rc, const char *file, const char *what, char *err,
                     size_t cap);

#endif /* FL_STORAGE_DB_H */

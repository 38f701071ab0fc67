/*
 * recorder_batch.h -- the recorder's per-step rows, inserted REC_BATCH_ROWS at a time.
 * storage/ internal.
 *
 * Why: one INSERT statement per row costs SQLite a statement start, a cursor opened
 * and a seek from the b-tree's root, and a statement end, for every row.  A statement
 * of REC_BATCH_ROWS rows (`VALUES (...), (...), ...`) keeps its cursor on the last row,
 * so each following row appends without a descent.  Measured on raft-chaos seed 3 (the
 * parent's instructions, callgrind): see docs/sql.md, "How a run is written".
 *
 * A row's values are copied when it is given (record pointers live only during the
 * sink's call) and bound when its batch is full, or when the recorder flushes at the
 * run's end (the rows left over go one by one through the single-row statement).  So
 * rows reach the database in the order they were given, and an error of an insert is
 * known at the flush that wrote it.
 */
#ifndef FL_STORAGE_RECORDER_BATCH_H
#define FL_STORAGE_RECORDER_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define REC_BATCH_ROWS 32
#define REC_BATCH_MAX_COLS 13

enum { REC_NULL, REC_INT, REC_TEXT, REC_STATIC };

/* One value: an integer, NULL, text copied into the batch's buffer (at `off`), or a
 * string that lives forever (`fl_step_kind_name`'s). */
typedef struct rec_val {
    union {
        int64_t i;
        size_t off;
        const char *s;
    } u;
    uint32_t len;
    uint8_t type;
} rec_val;

typedef struct rec_batch {
    sqlite3_stmt *one;  /* the single-row insert (borrowed: the recorder finalizes it) */
    sqlite3_stmt *many; /* REC_BATCH_ROWS rows (owned) */
    int ncols, nrows, nvals;
    rec_val vals[REC_BATCH_ROWS * REC_BATCH_MAX_COLS];
    char *text; /* the copied text values of the rows not yet written */
    size_t text_len, text_cap;
    int oom; /* a text copy failed: the flush reports it */
} rec_batch;

/* Prepare the batch statement for `insert_sql`, a single-row "INSERT ... VALUES (?, ...)"
 * of `ncols` parameters whose statement `one` is already prepared.  SQLite rc. */
int fl_rec_batch_init(rec_batch *b, sqlite3 *h, const char *insert_sql, int ncols,
                      sqlite3_stmt *one);
void fl_rec_batch_close(rec_batch *b);

/* The values of one row, in column order.  put_text copies `len` bytes of s. */
void fl_rec_put_int(rec_batch *b, int64_t v);
void fl_rec_put_null(rec_batch *b);
void fl_rec_put_text(rec_batch *b, const char *s, size_t len);
void fl_rec_put_static(rec_batch *b, const char *s);
static inline void fl_rec_put_opt_int(rec_batch *b, int64_t v, int64_t none)
{
    if (v == none)
        fl_rec_put_null(b);
    else
        fl_rec_put_int(b, v);
}

/* The row is complete: write the batch if it is full.  SQLite rc (SQLITE_NOMEM for a
 * failed copy). */
int fl_rec_row_done(rec_batch *b);

/* Write the rows not yet written.  SQLite rc. */
int fl_rec_batch_flush(rec_batch *b);

#endif /* FL_STORAGE_RECORDER_BATCH_H */

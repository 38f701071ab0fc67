/*
 * recorder_batch.c -- per-step rows, REC_BATCH_ROWS per INSERT (see recorder_batch.h).
 */
#include "storage/recorder_batch.h"

#include <stdlib.h>
#include <string.h>

int fl_rec_batch_init(rec_batch *b, sqlite3 *h, const char *insert_sql, int ncols,
                      sqlite3_stmt *one)
{
    b->one = one;
    b->many = NULL;
    b->ncols = ncols;
    b->nrows = b->nvals = 0;
    b->text = NULL;
    b->text_len = b->text_cap = 0;
    b->oom = 0;
    if (ncols <= 0 || ncols > REC_BATCH_MAX_COLS)
        return SQLITE_MISUSE;
    /* insert_sql ends with its one row of parameters: repeat that row */
    const char *row = strstr(insert_sql, "VALUES (");
    if (row == NULL)
        return SQLITE_MISUSE;
    row += strlen("VALUES ");
    size_t head = (size_t)(row - insert_sql), row_len = strlen(row);
    size_t cap = head + REC_BATCH_ROWS * (row_len + 2) + 1;
    char *sql = malloc(cap);
    if (sql == NULL)
        return SQLITE_NOMEM;
    memcpy(sql, insert_sql, head);
    size_t n = head;
    for (int i = 0; i < REC_BATCH_ROWS; i++) {
        if (i > 0) {
            memcpy(sql + n, ", ", 2);
            n += 2;
        }
        memcpy(sql + n, row, row_len);
        n += row_len;
    }
    sql[n] = '\0';
    int rc = sqlite3_prepare_v3(h, sql, (int)n, SQLITE_PREPARE_PERSISTENT, &b->many, NULL);
    free(sql);
    return rc;
}

void fl_rec_batch_close(rec_batch *b)
{
    sqlite3_finalize(b->many);
    b->many = NULL;
    free(b->text);
    b->text = NULL;
    b->text_len = b->text_cap = 0;
}

void fl_rec_put_int(rec_batch *b, int64_t v)
{
    b->vals[b->nvals++] = (rec_val){.u.i = v, .type = REC_INT};
}

void fl_rec_put_null(rec_batch *b)
{
    b->vals[b->nvals++] = (rec_val){.type = REC_NULL};
}

void fl_rec_put_static(rec_batch *b, const char *s)
{
    b->vals[b->nvals++] = (rec_val){.u.s = s, .len = (uint32_t)strlen(s), .type = REC_STATIC};
}

void fl_rec_put_text(rec_batch *b, const char *s, size_t len)
{
    if (b->text_cap - b->text_len < len + 1) {
        size_t ncap = b->text_cap ? b->text_cap : 4096;
        while (ncap - b->text_len < len + 1)
            ncap *= 2;
        char *p = realloc(b->text, ncap);
        if (p == NULL) {
            b->oom = 1;
            fl_rec_put_null(b);
            return;
        }
        b->text = p;
        b->text_cap = ncap;
    }
    memcpy(b->text + b->text_len, s, len);
    b->text[b->text_len + len] = '\0';
    b->vals[b->nvals++] = (rec_val){.u.off = b->text_len, .len = (uint32_t)len, .type = REC_TEXT};
    b->text_len += len + 1;
}

/* Bind nvals values from `from` to st's parameters 1..nvals.  The text stays in b->text
 * until the statement has run (SQLITE_STATIC). */
static void bind_values(rec_batch *b, sqlite3_stmt *st, const rec_val *from, int nvals)
{
    for (int i = 0; i < nvals; i++) {
        const rec_val *v = &from[i];
        switch (v->type) {
        case REC_INT:
            sqlite3_bind_int64(st, i + 1, v->u.i);
            break;
        case REC_TEXT:
            sqlite3_bind_text(st, i + 1, b->text + v->u.off, (int)v->len, SQLITE_STATIC);
            break;
        case REC_STATIC:
            sqlite3_bind_text(st, i + 1, v->u.s, (int)v->len, SQLITE_STATIC);
            break;
        default:
            sqlite3_bind_null(st, i + 1);
            break;
        }
    }
}

static int step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void clear(rec_batch *b)
{
    b->nrows = b->nvals = 0;
    b->text_len = 0;
}

int fl_rec_row_done(rec_batch *b)
{
    b->nrows++;
    if (b->nrows < REC_BATCH_ROWS)
        return SQLITE_OK;
    int rc = b->oom ? SQLITE_NOMEM : SQLITE_OK;
    if (rc == SQLITE_OK) {
        bind_values(b, b->many, b->vals, b->nvals);
        rc = step_once(b->many);
    }
    clear(b);
    return rc;
}

int fl_rec_batch_flush(rec_batch *b)
{
    int rc = b->oom ? SQLITE_NOMEM : SQLITE_OK;
    for (int row = 0; rc == SQLITE_OK && row < b->nrows; row++) {
        bind_values(b, b->one, &b->vals[row * b->ncols], b->ncols);
        rc = step_once(b->one);
    }
    clear(b);
    return rc;
}

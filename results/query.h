/*
 * query.h -- printing the rows of a read-only SQL query (`faultline query`).
 *
 * Formats:
 *   FL_FMT_TABLE  aligned columns: a header line, a separator line of dashes, one line
 *                 per row, then "(N rows)" ("(1 row)").  Numbers are right-aligned,
 *                 everything else left-aligned.  SQL NULL is an empty cell (as psql
 *                 shows it; use CSV or JSON to tell NULL from ''); newlines, tabs and
 *                 other control characters inside values are shown as \n, \t, \xNN so
 *                 that each row stays on one line.  Widths count UTF-8 characters.
 *   FL_FMT_CSV    RFC 4180: a header record, then one record per row; a field is quoted
 *                 when it holds a comma, a double quote, CR or LF (quotes doubled).  SQL
 *                 NULL is an empty unquoted field and the empty string is "", so the two
 *                 stay distinct.  Records end with LF (not CRLF), as Unix tools expect.
 *   FL_FMT_JSON   an array of objects, one per row, keyed by column name, one row per
 *                 line.  SQLite's types are kept: INTEGER -> JSON integer (exact, all
 *                 64 bits), REAL -> JSON number (non-finite -> null), TEXT -> string,
 *                 NULL -> null, BLOB -> string of hex digits.
 *
 * Rows are streamed to `out` as they come for CSV and JSON; the table needs every row
 * first to size its columns and holds them in memory.
 */
#ifndef FL_RESULTS_QUERY_H
#define FL_RESULTS_QUERY_H

#include <stddef.h>
#include <stdio.h>

#include "storage/db.h"

enum { FL_FMT_TABLE = 0, FL_FMT_CSV, FL_FMT_JSON };

/* "table", "csv", "json" -> FL_FMT_*; -1 if unknown. */
int fl_query_format_parse(const char *name);

/* Run sql (one read-only statement, see fl_db_query) on db and print its rows to out
 * in `format`.  Returns 0, FL_EINVAL (bad SQL, write SQL, bad format), FL_EIO (a write
 * to out failed) or another FL_E code, with "what: why" in err.  On an error some rows
 * may already have been printed. */
int fl_query_print(fl_db *db, const char *sql, int format, FILE *out, char *err, size_t cap);

#endif /* FL_RESULTS_QUERY_H */

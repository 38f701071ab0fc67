/*
 * db_impl.h -- what db.c and db_errors.c share inside storage/.
 */
#ifndef FL_STORAGE_DB_IMPL_H
#define FL_STORAGE_DB_IMPL_H

#include <stddef.h>

/* Check path before SQLite opens it (flags as fl_db_open): a directory, a missing
 * directory, a file or directory a writer cannot write, a -shm file it could not open.
 * 0 when SQLite may go ahead; else FL_EBADDB or FL_ENOTFOUND with the line in err. */
int fl_db_preflight(const char *path, int flags, char *err, size_t cap);

/* Start the time limit's clock for a statement about to run (cursor.c). */
struct fl_db;
void fl_db_time_limit_restart(struct fl_db *db);

#endif /* FL_STORAGE_DB_IMPL_H */

/*
 * schema.h -- the SQL that creates a faultline database, one step per schema version
 * (storage/ internal).
 *
 * fl_db_migrations[v] takes a database at schema version v to v + 1 and runs inside
 * the migration's transaction; [0] creates everything on an empty file.  A new
 * version appends a step here, bumps FL_DB_SCHEMA_VERSION (db.h) and updates
 * docs/sql.md.  Old steps never change: files in the wild went through them.
 */
#ifndef FL_STORAGE_SCHEMA_H
#define FL_STORAGE_SCHEMA_H

#include "storage/db.h"

extern const char *const fl_db_migrations[FL_DB_SCHEMA_VERSION];

#endif /* FL_STORAGE_SCHEMA_H */

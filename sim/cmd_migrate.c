/*
 * cmd_migrate.c -- `faultline migrate DB`: bring a database of an older schema to this
 * faultline's (storage/schema.c holds the steps).  Readers open older files read-only
 * as they are; writers (run --db, sweep, merge's output) migrate on open; this command
 * does it on purpose, and says what it did.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "sim/cli.h"
#include "storage/db.h"

static const char migrate_usage[] =
    "usage: faultline migrate DB\n\n"
    "Upgrade database DB to this faultline's schema (version %d), in one transaction: a\n"
    "failure leaves it as it was.  A file already at that version is left alone.\n";

int fl_cmd_migrate(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf(migrate_usage, FL_DB_SCHEMA_VERSION);
        return FL_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fl_cli_error("migrate: expected one database (see faultline migrate --help)");
        return FL_EXIT_USAGE;
    }
    char err[1024];
    fl_db *db = NULL;
    int rc = fl_db_open(&db, argv[1], FL_DB_READONLY, err, sizeof err);
    int64_t from = rc == 0 ? fl_db_opened_version(db) : 0;
    fl_db_close(db);
    if (rc == 0 && from < FL_DB_SCHEMA_VERSION)
        rc = fl_db_open(&db, argv[1], FL_DB_CREATE, err, sizeof err);
    if (rc) {
        fl_cli_fail("migrate", err);
        return fl_cli_exit_for(rc);
    }
    if (from == FL_DB_SCHEMA_VERSION) {
        printf("%s: already at schema %d\n", argv[1], FL_DB_SCHEMA_VERSION);
        return FL_EXIT_OK;
    }
    fl_db_close(db);
    printf("%s: migrated from schema %lld to %d\n", argv[1], (long long)from, FL_DB_SCHEMA_VERSION);
    return FL_EXIT_OK;
}

/*
 * cmd_prune.c -- `faultline prune DB [--keep failing] [--older-than AGE] [--sweep N]
 * [--dry-run]`: retention (storage/prune.h).  A week of nightly sweeps fits on a disk
 * when the recordings nobody will look at again go, and the runs rows stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/cli.h"
#include "storage/db.h"
#include "storage/prune.h"

static const char prune_usage[] =
    "usage: faultline prune DB [--keep failing] [--older-than AGE] [--sweep N] [--dry-run]\n\n"
    "Drop the full recordings (events, messages, snapshots, logs) of the recorded runs of\n"
    "database DB that are not kept, then vacuum the file.  Their runs rows stay, with\n"
    "their faults and metrics, marked recorded = 'none'; replay still re-executes them.\n\n"
    "  --keep failing    keep the recordings of runs whose outcome is not ok\n"
    "  --older-than AGE  prune only runs recorded at least AGE ago: a number and a unit,\n"
    "                    s, m, h, d or w (7d); a run with no date is never old\n"
    "  --sweep N         prune only runs of sweep N\n"
    "  --dry-run         say what would be dropped, change nothing\n";

/* "7d" -> seconds; 0 when s is not a positive number with a unit. */
static int64_t parse_age(const char *s)
{
    static const struct {
        char unit;
        int64_t s;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return 0;
    long long n = strtoll(s, &end, 10);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (end[0] == units[i].unit && end[1] == '\0' && n > 0 && n <= INT64_MAX / units[i].s)
            return (int64_t)n * units[i].s;
    return 0;
}

static int parse_args(int argc, char **argv, fl_prune_opts *o, const char **path)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(a, "--dry-run") == 0) {
            o->dry_run = 1;
        } else if (strcmp(a, "--keep") == 0) {
            if (!v || strcmp(v, "failing") != 0) {
                fl_cli_error("prune: --keep: expected 'failing', got '%s'", v ? v : "");
                return -1;
            }
            o->keep_failing = 1;
            i++;
        } else if (strcmp(a, "--older-than") == 0) {
            if (!v || (o->older_than_s = parse_age(v)) == 0) {
                fl_cli_error("prune: --older-than: expected an age like 7d (s, m, h, d, w), "
                             "got '%s'",
                             v ? v : "");
                return -1;
            }
            i++;
        } else if (strcmp(a, "--sweep") == 0) {
            if (!v || fl_cli_parse_u64(v, &n) || n == 0 || n > INT64_MAX) {
                fl_cli_error("prune: --sweep: expected a sweep id, got '%s'", v ? v : "");
                return -1;
            }
            o->sweep_id = (int64_t)n;
            i++;
        } else if (a[0] == '-') {
            fl_cli_error("prune: unknown option '%s' (see faultline prune --help)", a);
            return -1;
        } else if (*path) {
            fl_cli_error("prune: unexpected argument '%s'", a);
            return -1;
        } else {
            *path = a;
        }
    }
    if (!*path) {
        fl_cli_error("prune: expected a database (see faultline prune --help)");
        return -1;
    }
    return 0;
}

/* FL_ENOTFOUND with a message when sweep id is not in db. */
static int check_sweep(fl_db *db, int64_t id, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, "SELECT count(*) FROM sweeps WHERE id = ?1", &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, id);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 1 && fl_db_cursor_int(c, 0) == 0) {
        snprintf(err, cap, "--sweep: no sweep %lld in %s", (long long)id, fl_db_path(db));
        rc = FL_ENOTFOUND;
    }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

static void report(const char *path, const fl_prune_opts *o, const fl_prune_stats *st)
{
    if (o->dry_run)
        printf("%s: would drop the recordings of %llu runs (%llu rows, %.1f MB of values); "
               "their runs rows would stay\n",
               path, (unsigned long long)st->runs, (unsigned long long)st->rows,
               (double)st->payload_bytes / 1e6);
    else
        printf("%s: dropped the recordings of %llu runs (%llu rows); the file went from "
               "%.1f MB to %.1f MB\n",
               path, (unsigned long long)st->runs, (unsigned long long)st->rows,
               (double)st->file_before / 1e6, (double)st->file_after / 1e6);
}

int fl_cmd_prune(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(prune_usage, stdout);
        return FL_EXIT_OK;
    }
    fl_prune_opts o = {0};
    const char *path = NULL;
    if (parse_args(argc, argv, &o, &path) != 0)
        return FL_EXIT_USAGE;
    char err[1024];
    fl_db *db = NULL;
    /* read-only first: a missing file is an error, not a new database; a dry run
     * changes nothing, not even the schema; and a bad --sweep is refused before a
     * writer's open touches the file (it switches the file to WAL mode) */
    int rc = fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err);
    if (rc == 0 && o.sweep_id > 0)
        rc = check_sweep(db, o.sweep_id, err, sizeof err);
    if (rc == 0 && !o.dry_run) {
        fl_db_close(db);
        db = NULL;
        rc = fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err);
    }
    fl_prune_stats st;
    if (rc == 0)
        rc = fl_db_prune(db, &o, &st, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_fail("prune", err);
        return fl_cli_exit_for(rc);
    }
    report(path, &o, &st);
    return FL_EXIT_OK;
}

/*
 * cmd_merge.c -- `faultline merge OUT IN...`: combine the databases written by the shards
 * of a sweep (or by separate sweeps) into OUT.  The SQL is in storage/merge.c; this file
 * parses the command line, makes sure that a refused merge leaves OUT as it was (even
 * when OUT did not exist: no empty database is left behind), and reports.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "sim/cli.h"
#include "storage/db.h"
#include "storage/merge.h"

static const char merge_usage[] =
    "usage: faultline merge [--skip-duplicates] [--quiet] OUT IN...\n\n"
    "Copy the scenarios, sweeps and runs (with every recorded row) of the faultline\n"
    "databases IN... into OUT, which is created if missing.  Use it to combine the\n"
    "databases of a sweep's shards (sweep --shard K/N on N machines): see\n"
    "docs/scale-out.md.  Scenarios are matched by their hash; runs get new ids.\n\n"
    "A run whose scenario and seed OUT (or an earlier IN) already has is a duplicate:\n"
    "the merge is refused, and OUT left unchanged, unless --skip-duplicates is given.\n\n"
    "  --skip-duplicates  skip duplicate runs (and say how many) instead of refusing\n"
    "  --quiet            print nothing on success\n\n"
    "Exit codes: 0 merged, 2 usage or input error (an IN that is not a faultline\n"
    "database, duplicates), 3 internal error.  OUT changes in one transaction or not at\n"
    "all.\n";

typedef struct merge_args {
    int skip, quiet;
    const char *out;
    const char *const *in;
    size_t nin;
} merge_args;

static int parse_args(int argc, char **argv, merge_args *a)
{
    static const struct option opts[] = {{"skip-duplicates", no_argument, 0, 's'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            a->skip = 1;
            break;
        case 'q':
            a->quiet = 1;
            break;
        case 'h':
            fputs(merge_usage, stdout);
            return -1;
        default:
            fl_cli_error("merge: unknown option '%s' (see faultline merge --help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        fl_cli_error("merge: expected OUT and at least one IN (faultline merge OUT IN...)");
        return FL_EXIT_USAGE;
    }
    a->out = argv[optind];
    a->in = (const char *const *)argv + optind + 1;
    a->nin = (size_t)(argc - optind - 1);
    return 0;
}

/* Refuse a bad IN before OUT is opened: opening OUT creates it when it is missing. */
static int precheck_inputs(const merge_args *a)
{
    char err[1024];
    for (size_t i = 0; i < a->nin; i++) {
        fl_db *db = NULL;
        int rc = fl_db_open(&db, a->in[i], FL_DB_READONLY, err, sizeof err);
        fl_db_close(db);
        if (rc) {
            fl_cli_fail("merge", err);
            return fl_cli_exit_for(rc);
        }
    }
    return 0;
}

/* OUT did not exist before this command: a refused merge removes what opening made. */
static void remove_new_out(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix[i]) >= sizeof p)
            continue;
        if (unlink(p) != 0 && errno != ENOENT)
            fprintf(stderr, "faultline: merge: %s: cannot remove: %s\n", p, strerror(errno));
    }
}

static void report(const merge_args *a, const fl_db_merge_stats *st)
{
    if (st->digest_differs)
        fprintf(stderr,
                "faultline: merge: warning: %" PRIu64 " duplicate run%s (first: seed %" PRIu64
                ") had another digest than the run kept: a nondeterministic protocol, or"
                " databases from different builds\n",
                st->digest_differs, st->digest_differs == 1 ? "" : "s", st->differs_seed);
    if (a->quiet)
        return;
    printf("merged %zu database%s into %s: %" PRIu64 " run%s, %" PRIu64 " new sweep%s, %" PRIu64
           " new scenario%s; %" PRIu64 " rows of recorded detail\n",
           a->nin, a->nin == 1 ? "" : "s", a->out, st->runs, st->runs == 1 ? "" : "s", st->sweeps,
           st->sweeps == 1 ? "" : "s", st->scenarios, st->scenarios == 1 ? "" : "s", st->rows);
    if (st->duplicates)
        printf("skipped %" PRIu64 " duplicate run%s (scenario and seed already merged)\n",
               st->duplicates, st->duplicates == 1 ? "" : "s");
}

int fl_cmd_merge(int argc, char **argv)
{
    merge_args a = {0};
    int ex = parse_args(argc, argv, &a);
    if (ex)
        return ex < 0 ? FL_EXIT_OK : ex;
    ex = precheck_inputs(&a);
    if (ex)
        return ex;
    struct stat sb;
    int existed = stat(a.out, &sb) == 0;
    char err[1024];
    fl_db *out = NULL;
    int rc = fl_db_open(&out, a.out, FL_DB_CREATE, err, sizeof err);
    if (rc) {
        fl_cli_fail("merge", err);
        return fl_cli_exit_for(rc);
    }
    fl_db_merge_stats st;
    rc = fl_db_merge(out, a.in, a.nin, a.skip ? FL_DB_MERGE_SKIP_DUPLICATES : 0, &st, err,
                     sizeof err);
    fl_db_close(out);
    if (rc) {
        if (!existed)
            remove_new_out(a.out);
        if (rc == FL_EINVAL && st.duplicates)
            fl_cli_error("merge: %s; nothing merged (--skip-duplicates skips them)", err);
        else
            fl_cli_fail("merge", err);
        return fl_cli_exit_for(rc);
    }
    report(&a, &st);
    return FL_EXIT_OK;
}

/*
 * cmd_export.c -- `faultline export DB RUN --format perfetto|jsonl|shiviz [--out FILE]`:
 * a recorded run for other viewers (docs/export.md).
 *
 * The run is read back as its record stream (results/rec_stream.h) into one sink: the
 * JSON-lines mapping of `run --records` (sim/run/jsonl.c) or a trace format
 * (sim/export.h).  With --out the file is written beside its final name and renamed
 * when complete, so that a failed export leaves an existing file as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "results/rec_stream.h"
#include "sim/cli.h"
#include "sim/export.h"
#include "sim/run/jsonl.h"
#include "storage/db.h"

static const char export_usage[] =
    "usage: faultline export DB RUN --format perfetto|jsonl|shiviz [--out FILE]\n\n"
    "Write run RUN of database DB, recorded in full, for another viewer (docs/export.md):\n\n"
    "  perfetto  Chrome trace-event JSON, for ui.perfetto.dev or chrome://tracing: a\n"
    "            process per node, messages as flows, faults and crashes as instants,\n"
    "            states as the steps' args\n"
    "  jsonl     every record as a JSON line, the mapping of `run --records`\n"
    "  shiviz    a ShiViz log (vector clocks from the messages), its regex first\n\n"
    "  --out FILE  write FILE (replaced only when the export is complete); default stdout\n";

enum { FMT_PERFETTO, FMT_JSONL, FMT_SHIVIZ };

typedef struct export_opts {
    const char *db, *out;
    int64_t run;
    int format; /* -1: not given */
} export_opts;

static int parse_format(const char *s)
{
    static const char *const names[] = {"perfetto", "jsonl", "shiviz"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int parse_args(int argc, char **argv, export_opts *o)
{
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(export_usage, stdout);
            return FL_EXIT_OK;
        }
        if ((strcmp(a, "--format") == 0 || strcmp(a, "--out") == 0) && i + 1 >= argc) {
            fl_cli_error("export: %s needs a value", a);
            return FL_EXIT_USAGE;
        }
        if (strcmp(a, "--format") == 0) {
            if ((o->format = parse_format(argv[++i])) < 0) {
                fl_cli_error("export: --format: expected perfetto, jsonl or shiviz, got '%s'",
                             argv[i]);
                return FL_EXIT_USAGE;
            }
        } else if (strcmp(a, "--out") == 0) {
            o->out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fl_cli_error("export: unknown option %s (see faultline export --help)", a);
            return FL_EXIT_USAGE;
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            fl_cli_error("export: unexpected argument '%s'", a);
            return FL_EXIT_USAGE;
        }
    }
    uint64_t run;
    if (npos < 2 || o->format < 0) {
        fl_cli_error("export: expected DB RUN --format perfetto|jsonl|shiviz (see faultline "
                     "export --help)");
        return FL_EXIT_USAGE;
    }
    if (fl_cli_parse_u64(pos[1], &run) || run > INT64_MAX) {
        fl_cli_error("export: RUN: expected a run id, got '%s'", pos[1]);
        return FL_EXIT_USAGE;
    }
    o->db = pos[0];
    o->run = (int64_t)run;
    return -1;
}

/* The run exists and is recorded in full. */
static int check_run(fl_db *db, const export_opts *o, char *err, size_t cap)
{
    fl_rec_stream_run info;
    int rc = fl_rec_stream_info(db, o->run, &info, err, cap);
    if (rc == 0 && strcmp(info.recorded, "all") != 0) {
        snprintf(err, cap,
                 "run %lld of %s was not recorded in full (recorded = '%s'): record it with "
                 "faultline replay %s %lld --record",
                 (long long)o->run, o->db, info.recorded, o->db, (long long)o->run);
        rc = FL_EINVAL;
    }
    return rc;
}

static int stream_as(fl_db *db, const export_opts *o, FILE *out, char *err, size_t cap)
{
    fl_sink k;
    fl_jsonl j;
    fl_perfetto *p = NULL;
    fl_shiviz *v = NULL;
    int rc = 0;
    if (o->format == FMT_JSONL)
        fl_jsonl_sink(&j, out, &k);
    else if (o->format == FMT_PERFETTO && (rc = fl_perfetto_new(out, &p)) == 0)
        fl_perfetto_sink(p, &k);
    else if (o->format == FMT_SHIVIZ && (rc = fl_shiviz_new(out, &v)) == 0)
        fl_shiviz_sink(v, &k);
    if (rc == 0)
        rc = fl_rec_stream(db, o->run, &k, err, cap);
    else
        snprintf(err, cap, "out of memory");
    fl_perfetto_free(p);
    fl_shiviz_free(v);
    return rc;
}

/* Into --out's file through a temporary beside it, or to stdout. */
static int write_export(fl_db *db, const export_opts *o, char *err, size_t cap)
{
    if (!o->out) {
        int rc = stream_as(db, o, stdout, err, cap);
        if (rc == 0 && fflush(stdout) != 0) {
            snprintf(err, cap, "stdout: %s", strerror(errno));
            rc = FL_EIO;
        }
        return rc;
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o->out, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, cap, "--out %s: path too long", o->out);
        return FL_EINVAL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, cap, "--out %s: %s", o->out, strerror(errno));
        return FL_EINVAL;
    }
    int rc = stream_as(db, o, f, err, cap);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, cap, "--out %s: %s", o->out, strerror(errno));
        rc = FL_EIO;
    }
    if (rc == 0 && rename(tmp, o->out) != 0) {
        snprintf(err, cap, "--out %s: %s", o->out, strerror(errno));
        rc = FL_EINVAL;
    }
    if (rc)
        unlink(tmp);
    return rc;
}

int fl_cmd_export(int argc, char **argv)
{
    export_opts o = {.format = -1};
    int ex = parse_args(argc, argv, &o);
    if (ex >= 0)
        return ex;
    char err[1024];
    fl_db *db;
    int rc = fl_db_open(&db, o.db, FL_DB_READONLY, err, sizeof err);
    if (rc == 0)
        rc = fl_db_verify(db, err, sizeof err);
    if (rc == 0)
        rc = check_run(db, &o, err, sizeof err);
    if (rc == 0)
        rc = write_export(db, &o, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_fail("export", err);
        return fl_cli_exit_for(rc);
    }
    return FL_EXIT_OK;
}

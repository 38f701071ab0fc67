/*
 * cmd_query.c -- `faultline query`: read-only SQL on a faultline database, printed as
 * an aligned table, CSV or JSON; plus two canned questions, --failing (every failing run
 * with the command that replays it) and --report (a sweep's outcome at a glance).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "results/query.h"
#include "sim/cli.h"
#include "storage/db.h"

static const char query_usage[] =
    "usage: faultline query DB [SQL | --failing | --report] [--format table|csv|json]\n\n"
    "Run one read-only SQL statement on a faultline database and print the rows: an\n"
    "aligned table on a terminal, or CSV / JSON.  Without SQL: counts by outcome.\n"
    "  --failing   the failing runs, with the command that reproduces each\n"
    "  --report    outcomes by scenario, violations by invariant, the share of runs in\n"
    "              which each fault kind took effect, sweeps and simulation speed\n"
    "Tables and views: docs/sql.md.\n";

/* The questions of --report, each with its title. */
static const struct report_part {
    const char *title, *sql;
} report[] = {
    {"outcomes by scenario",
     "SELECT s.name AS scenario, r.outcome, count(*) AS runs, min(r.seed) AS first_seed "
     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id GROUP BY s.name, r.outcome "
     "ORDER BY s.name, runs DESC"},
    {"violations by invariant",
     "SELECT s.name AS scenario, r.check_name AS invariant, count(*) AS runs, "
     "min(r.seed) AS first_seed, round(avg(r.fail_time_ns) / 1e9, 3) AS mean_fail_s "
     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.outcome <> 'ok' "
     "GROUP BY s.name, r.check_name ORDER BY runs DESC"},
    {"fault kinds: share of runs in which they took effect",
     "SELECT substr(m.name, 8, length(m.name) - 17) AS fault, count(*) AS runs, "
     "round(100.0 * sum(m.value > 0) / count(*), 1) AS pct_runs, sum(m.value) AS total "
     "FROM metrics m WHERE m.name LIKE 'faults.%.effective' GROUP BY m.name ORDER BY m.name"},
    {"sweeps",
     "SELECT w.id AS sweep, s.name AS scenario, w.seeds_from || '..' || w.seeds_to AS seeds, "
     "coalesce(w.shard, '') AS shard, w.status, (SELECT count(*) FROM runs r WHERE "
     "r.sweep_id = w.id) AS runs FROM sweeps w JOIN scenarios s ON s.id = w.scenario_id "
     "ORDER BY w.id"},
    {"speed",
     "SELECT s.name AS scenario, count(*) AS runs, sum(r.steps) AS steps, "
     "round(sum(r.sim_time_ns) / 1e3 / max(sum(r.wall_us), 1), 1) AS sim_s_per_wall_s "
     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id GROUP BY s.name ORDER BY s.name"},
};

static int print_report(fl_db *db, char *err, size_t cap)
{
    for (size_t i = 0; i < sizeof report / sizeof report[0]; i++) {
        printf("%s== %s\n", i ? "\n" : "", report[i].title);
        int rc = fl_query_print(db, report[i].sql, FL_FMT_TABLE, stdout, err, cap);
        if (rc)
            return rc;
    }
    return 0;
}

/* The failing runs with the command that reproduces each: replay needs only the
 * database, so the command is exact.  The path goes in as an SQL string literal. */
static int failing_query(const char *path, char *out, size_t cap)
{
    char quoted[4096];
    size_t q = 0;
    for (const char *p = path; *p; p++) {
        if (q + 3 >= sizeof quoted)
            return -1;
        if (*p == '\'')
            quoted[q++] = '\'';
        quoted[q++] = *p;
    }
    quoted[q] = '\0';
    int n = snprintf(out, cap,
                     "SELECT r.id AS run, s.name AS scenario, r.seed, r.outcome, r.check_name, "
                     "r.fail_step, r.recorded, 'faultline replay %s ' || r.id AS reproduce "
                     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id "
                     "WHERE r.outcome <> 'ok' ORDER BY s.name, r.seed",
                     quoted);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int fl_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"failing", no_argument, 0, 'F'},
                                         {"report", no_argument, 0, 'R'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int format = FL_FMT_TABLE, c, failing = 0, want_report = 0;
    static const char default_sql[] = "SELECT outcome, n FROM outcome_counts";
    const char *sql = default_sql;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(query_usage, stdout);
            return FL_EXIT_OK;
        } else if (c == 'f') {
            format = fl_query_format_parse(optarg);
            if (format < 0) {
                fl_cli_error("query: --format: expected table, csv or json, got '%s'", optarg);
                return FL_EXIT_USAGE;
            }
        } else if (c == 'F') {
            failing = 1;
        } else if (c == 'R') {
            want_report = 1;
        } else {
            fl_cli_error("query: unknown option '%s' (see faultline query --help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fl_cli_error("query: missing DB (see faultline query --help)");
        return FL_EXIT_USAGE;
    }
    const char *path = argv[optind++];
    char failing_sql[8192];
    if (failing) {
        if (failing_query(path, failing_sql, sizeof failing_sql)) {
            fl_cli_error("query: %s: path too long", path);
            return FL_EXIT_USAGE;
        }
        sql = failing_sql;
    } else if (optind < argc) {
        sql = argv[optind++];
    }
    if (optind < argc) {
        fl_cli_error("query: unexpected argument '%s' (quote the SQL)", argv[optind]);
        return FL_EXIT_USAGE;
    }
    if (want_report && (failing || sql != default_sql || format != FL_FMT_TABLE)) {
        fl_cli_error("query: --report prints tables and takes no SQL, --failing or --format");
        return FL_EXIT_USAGE;
    }
    fl_db *db;
    char err[1024];
    int rc = fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err);
    if (rc == 0 && want_report) /* a report over every run: a damaged page would skew it */
        rc = fl_db_verify(db, err, sizeof err);
    if (rc == 0)
        rc = want_report ? print_report(db, err, sizeof err)
                         : fl_query_print(db, sql, format, stdout, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_error("query: %s", err);
        return fl_cli_exit_for(rc);
    }
    return FL_EXIT_OK;
}

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
    "  --report    outcomes by scenario, violations by invariant, what the faults did\n"
    "              (scheduled, reached, happened, and whether they bit), sweeps and\n"
    "              simulation speed; --format json gives one object keyed by section\n"
    "Tables and views: docs/sql.md.\n";

/* The questions of --report, each with its JSON key and its title. */
static const struct report_part {
    const char *key, *title, *sql;
} report[] = {
    {"outcomes", "outcomes by scenario",
     "SELECT s.name AS scenario, r.outcome, count(*) AS runs, min(r.seed) AS first_seed "
     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id GROUP BY s.name, r.outcome "
     "ORDER BY s.name, runs DESC"},
    {"violations", "violations by invariant",
     "SELECT s.name AS scenario, r.check_name AS invariant, count(*) AS runs, "
     "min(r.seed) AS first_seed, round(avg(r.fail_time_ns) / 1e9, 3) AS mean_fail_s "
     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.outcome <> 'ok' "
     "GROUP BY s.name, r.check_name ORDER BY runs DESC"},
    /* One row per kind from its three metrics (docs/faults.md): what was scheduled,
     * reached before the run ended, and happened; pct_runs is the share of runs in
     * which at least one happened. */
    {"faults", "fault kinds: scheduled, reached, happened",
     "SELECT substr(name, 8, instr(substr(name, 8), '.') - 1) AS fault, "
     "count(DISTINCT run_id) AS runs, "
     "sum(CASE WHEN name GLOB '*.scheduled' THEN value END) AS scheduled, "
     "sum(CASE WHEN name GLOB '*.reached' THEN value END) AS reached, "
     "sum(CASE WHEN name GLOB '*.effective' THEN value END) AS happened, "
     "round(100.0 * sum(name GLOB '*.effective' AND value > 0) / count(DISTINCT run_id), 1) "
     "AS pct_runs FROM metrics WHERE name GLOB 'faults.*.scheduled' OR "
     "name GLOB 'faults.*.reached' OR name GLOB 'faults.*.effective' "
     "GROUP BY fault ORDER BY fault"},
    /* Did they bite: of the runs in which a crash (partition) happened, how many had
     * one that lost unsynced writes (cut a message).  These stop false greens. */
    {"bites", "did they bite: runs in which the fault happened and bit",
     "SELECT b.name AS figure, sum(h.value > 0) AS runs_with_fault, "
     "sum(b.value > 0) AS runs_bitten, "
     "round(100.0 * sum(b.value > 0) / max(sum(h.value > 0), 1), 1) AS pct_bitten, "
     "sum(b.value) AS total FROM metrics b JOIN metrics h ON h.run_id = b.run_id AND "
     "h.name = CASE b.name WHEN 'faults.crash.with_lost_writes' THEN 'faults.crash.effective' "
     "ELSE 'faults.partition.effective' END "
     "WHERE b.name IN ('faults.crash.with_lost_writes', 'faults.partition.with_cut_messages') "
     "GROUP BY b.name ORDER BY b.name"},
    {"sweeps", "sweeps",
     "SELECT w.id AS sweep, s.name AS scenario, w.seeds_from || '..' || w.seeds_to AS seeds, "
     "coalesce(w.shard, '') AS shard, w.status, (SELECT count(*) FROM runs r WHERE "
     "r.sweep_id = w.id) AS runs FROM sweeps w JOIN scenarios s ON s.id = w.scenario_id "
     "ORDER BY w.id"},
    {"speed", "speed",
     "SELECT s.name AS scenario, count(*) AS runs, sum(r.steps) AS steps, "
     "round(sum(r.sim_time_ns) / 1e3 / max(sum(r.wall_us), 1), 1) AS sim_s_per_wall_s "
     "FROM runs r JOIN scenarios s ON s.id = r.scenario_id GROUP BY s.name ORDER BY s.name"},
};

/* The report in `format`: tables under "== title" lines; CSV sections under "# title"
 * lines, a blank line between; JSON one object, {"outcomes": [rows...], ...}. */
static int print_report(fl_db *db, int format, char *err, size_t cap)
{
    size_t n = sizeof report / sizeof report[0];
    if (format == FL_FMT_JSON)
        fputs("{\n", stdout);
    for (size_t i = 0; i < n; i++) {
        if (format == FL_FMT_JSON)
            printf("\"%s\": ", report[i].key);
        else
            printf("%s%s %s\n", i ? "\n" : "", format == FL_FMT_CSV ? "#" : "==", report[i].title);
        int rc = fl_query_print(db, report[i].sql, format, stdout, err, cap);
        if (rc)
            return rc;
        if (format == FL_FMT_JSON)
            fputs(i + 1 < n ? ",\n" : "}\n", stdout);
    }
    return ferror(stdout) ? FL_EIO : 0;
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
    if (want_report && (failing || sql != default_sql)) {
        fl_cli_error("query: --report takes no SQL and no --failing");
        return FL_EXIT_USAGE;
    }
    fl_db *db;
    char err[1024];
    int rc = fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err);
    if (rc == 0 && want_report) /* a report over every run: a damaged page would skew it */
        rc = fl_db_verify(db, err, sizeof err);
    if (rc == 0)
        rc = want_report ? print_report(db, format, err, sizeof err)
                         : fl_query_print(db, sql, format, stdout, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_fail("query", err);
        return fl_cli_exit_for(rc);
    }
    return FL_EXIT_OK;
}

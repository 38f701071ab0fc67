/*
 * cmd_info.c -- the commands that run nothing: `scenario` (validate and print with
 * defaults), `protocols` (what is built in), `query` (read-only SQL on a database).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "results/query.h"
#include "sim/cli.h"
#include "sim/load.h"
#include "sim/protocols/registry.h"

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static const char scenario_usage[] =
    "usage: faultline scenario FILE [--set PATH=VALUE]... [--protocol SO]\n\n"
    "Validate a scenario file (and the protocol's params) and print it with every\n"
    "default filled in.  `-` or no FILE: the default scenario.  See docs/scenario.md.\n";

int fl_cmd_scenario(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(scenario_usage, stdout);
        return FL_EXIT_OK;
    }
    fl_load_opts lo = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (fl_load_add_set(&lo, argv[++i]))
                return FL_EXIT_USAGE;
        } else if (strcmp(argv[i], "--protocol") == 0 && i + 1 < argc) {
            lo.plugin_path = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fl_cli_error("scenario: unknown option '%s' (see faultline scenario --help)", argv[i]);
            return FL_EXIT_USAGE;
        } else if (!lo.scenario_path) {
            lo.scenario_path = strcmp(argv[i], "-") == 0 ? NULL : argv[i];
        } else {
            fl_cli_error("scenario: unexpected argument '%s'", argv[i]);
            return FL_EXIT_USAGE;
        }
    }
    fl_loaded L;
    char err[1024];
    int rc = fl_load(&lo, &L, err, sizeof err);
    if (rc) {
        fl_cli_error("%s", err);
        fl_load_close(&L);
        return FL_EXIT_USAGE;
    }
    char *text = cJSON_Print(L.sc.json);
    printf("%s\n", text);
    free(text);
    fl_load_close(&L);
    return FL_EXIT_OK;
}

static void print_list(const char *label, const char *const *names)
{
    printf("  %s", label);
    if (!names || !names[0])
        fputs(" (none)", stdout);
    for (int i = 0; names && names[i]; i++)
        printf(" %s", names[i]);
    fputc('\n', stdout);
}

int fl_cmd_protocols(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs("usage: faultline protocols\n\nList the built-in protocols with their params, "
              "timers and known-bug switches.\n",
              stdout);
        return FL_EXIT_OK;
    }
    if (argc > 1) {
        fl_cli_error("protocols: unexpected argument '%s'", argv[1]);
        return FL_EXIT_USAGE;
    }
    const struct fl_protocol *p;
    for (size_t i = 0; (p = fl_registry_at(i)); i++) {
        printf("%s\n", p->name);
        print_list("timers:", p->timers);
        print_list("bugs:", p->bugs);
        if (p->params_doc) {
            printf("  params:\n");
            const char *s = p->params_doc;
            while (*s) {
                const char *nl = strchr(s, '\n');
                int n = nl ? (int)(nl - s) : (int)strlen(s);
                printf("    %.*s\n", n, s);
                s += n + (nl ? 1 : 0);
            }
        }
    }
    return FL_EXIT_OK;
}

static const char query_usage[] =
    "usage: faultline query DB [SQL | --failing] [--format table|csv|json]\n\n"
    "Run one read-only SQL statement on a faultline database and print the rows: an\n"
    "aligned table on a terminal, or CSV / JSON.  Without SQL: counts by outcome.\n"
    "  --failing   the failing runs, with the command that reproduces each\n"
    "Tables and views: docs/sql.md.\n";

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
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int format = FL_FMT_TABLE, c, failing = 0;
    const char *sql = "SELECT outcome, n FROM outcome_counts";
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
    fl_db *db;
    char err[1024];
    int rc = fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err);
    if (rc == 0)
        rc = fl_query_print(db, sql, format, stdout, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_error("query: %s", err);
        return rc == FL_EDB ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
    }
    return FL_EXIT_OK;
}

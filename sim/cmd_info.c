/*
 * cmd_info.c -- the commands that run nothing and need no database: `scenario`
 * (validate and print with defaults) and `protocols` (what is built in).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
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

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
    "default filled in.  No FILE: the default scenario; `-`: read it from standard\n"
    "input.  See docs/scenario.md.\n";

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
            lo.scenario_path = argv[i]; /* "-": standard input */
        } else {
            fl_cli_error("scenario: unexpected argument '%s'", argv[i]);
            return FL_EXIT_USAGE;
        }
    }
    fl_loaded L;
    char err[1024];
    int rc = fl_load(&lo, &L, err, sizeof err);
    if (rc) {
        fl_cli_fail("scenario", err);
        fl_load_close(&L);
        return FL_EXIT_USAGE;
    }
    fl_load_warn_unproducible(&L);
    char *text = cJSON_Print(L.sc.json);
    printf("%s\n", text);
    free(text);
    fl_load_close(&L);
    return FL_EXIT_OK;
}

/* The line of params_doc that starts with key ("bugs.forget_vote: "), without its
 * newline, in *len; NULL if there is none. */
static const char *doc_line(const char *doc, const char *key, size_t klen, int *len)
{
    for (const char *s = doc; s && *s;) {
        const char *nl = strchr(s, '\n');
        int n = nl ? (int)(nl - s) : (int)strlen(s);
        if ((size_t)n > klen && strncmp(s, key, klen) == 0) {
            *len = n - (int)klen;
            return s + klen;
        }
        s += n + (nl ? 1 : 0);
    }
    return NULL;
}

/* Each bug on its own line with what it does, from params_doc's "bugs.<name>: " lines. */
static void print_bugs(const struct fl_protocol *p)
{
    if (!p->bugs || !p->bugs[0]) {
        puts("  bugs: (none)");
        return;
    }
    puts("  bugs:");
    for (int i = 0; p->bugs[i]; i++) {
        char key[128];
        int klen = snprintf(key, sizeof key, "bugs.%s: ", p->bugs[i]), n = 0;
        const char *what = klen > 0 && (size_t)klen < sizeof key
                               ? doc_line(p->params_doc, key, (size_t)klen, &n)
                               : NULL;
        if (what)
            printf("    %s: %.*s\n", p->bugs[i], n, what);
        else
            printf("    %s\n", p->bugs[i]);
    }
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

static void print_protocol(const struct fl_protocol *p)
{
    printf("%s\n", p->name);
    print_list("timers:", p->timers);
    print_bugs(p);
    if (p->params_doc) {
        printf("  params:\n");
        const char *s = p->params_doc;
        while (*s) {
            const char *nl = strchr(s, '\n');
            int n = nl ? (int)(nl - s) : (int)strlen(s);
            if (strncmp(s, "bugs.", 5) != 0) /* printed under bugs */
                printf("    %.*s\n", n, s);
            s += n + (nl ? 1 : 0);
        }
    }
}

/* A module protocol (etcd-raft): loaded here to list it, the one command that loads
 * one in its own process (to print what the module itself declares). */
static void print_module(const char *name)
{
    char path[4096], err[1024];
    void *handle = NULL;
    const struct fl_protocol *p = NULL;
    if (fl_registry_module(name, path, sizeof path, err, sizeof err) == 1)
        p = fl_registry_load(path, &handle, err, sizeof err);
    if (!p) {
        printf("%s\n  not built: %s\n", name, err);
        return;
    }
    print_protocol(p);
    printf("  module: %s (loaded by the worker that runs it)\n", path);
    fl_registry_unload(handle);
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
    size_t m = 0;
    for (size_t i = 0; (p = fl_registry_at(i)); i++) {
        /* modules in their place in the name order */
        for (; fl_registry_module_at(m) && strcmp(fl_registry_module_at(m), p->name) < 0; m++)
            print_module(fl_registry_module_at(m));
        print_protocol(p);
    }
    for (; fl_registry_module_at(m); m++)
        print_module(fl_registry_module_at(m));
    return FL_EXIT_OK;
}

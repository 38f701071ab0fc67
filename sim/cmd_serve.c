/*
 * cmd_serve.c -- `faultline serve DB [--port 8080] [--host 127.0.0.1]`: the command
 * line of the web UI (docs/ui.md); the server itself is sim/serve/.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/serve/serve.h"

static const char serve_usage[] =
    "usage: faultline serve DB [--port 8080] [--host 127.0.0.1]\n\n"
    "Serve the web UI over database DB: runs with facets, a run's summary and faults, its\n"
    "space-time diagram, every node's state at a step, client histories, sweep reports\n"
    "and a read-only SQL box, and a JSON API under /api/ (docs/ui.md).  The database is\n"
    "opened read-only.  Stop with Ctrl-C.\n\n"
    "  --port P   TCP port (default 8080; 0 picks a free one, printed on stdout)\n"
    "  --host H   IP address to listen on (default 127.0.0.1, this machine only; any\n"
    "             other address is served with a warning: the database is readable by\n"
    "             anyone who can reach it)\n";

int fl_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"host", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fl_serve_opts o = {.host = "127.0.0.1", .port = 8080};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'h':
            fputs(serve_usage, stdout);
            return FL_EXIT_OK;
        case 'p':
            if (fl_cli_parse_u64(optarg, &v) || v > 65535) {
                fl_cli_error("serve: --port: expected 0..65535, got '%s'", optarg);
                return FL_EXIT_USAGE;
            }
            o.port = (int)v;
            break;
        case 'H':
            o.host = strcmp(optarg, "localhost") == 0 ? "127.0.0.1" : optarg;
            break;
        default:
            fl_cli_error("serve: unknown option '%s' (see faultline serve --help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fl_cli_error("serve: missing DB (see faultline serve --help)");
        return FL_EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        fl_cli_error("serve: unexpected argument '%s'", argv[optind + 1]);
        return FL_EXIT_USAGE;
    }
    o.db_path = argv[optind];
    char err[1024];
    int rc = fl_serve_run(&o, err, sizeof err);
    if (rc != 0) {
        fl_cli_fail("serve", err);
        return fl_cli_exit_for(rc);
    }
    return FL_EXIT_OK;
}

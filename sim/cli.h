/*
 * cli.h -- what the subcommands share: exit codes, error printing, number parsing.
 *
 * Errors go to stderr as one line, `faultline: <what>: <why>`.
 */
#ifndef FL_SIM_CLI_H
#define FL_SIM_CLI_H

#include <stdint.h>

enum {
    FL_EXIT_OK = 0,       /* every run ok */
    FL_EXIT_FAILED = 1,   /* some run was not ok, or replay could not reproduce */
    FL_EXIT_USAGE = 2,    /* usage or input error */
    FL_EXIT_INTERNAL = 3, /* internal error */
    FL_EXIT_UNKNOWN = 4,  /* check-history: no verdict within the budget */
    FL_EXIT_INTERRUPTED = 130
};

void fl_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The exit code of a failed command's FL_E code (docs/cli.md's table): what the user
 * gave (arguments, files, unusable databases, inputs past a limit) is FL_EXIT_USAGE; a
 * failed write and faultline's own failures are FL_EXIT_INTERNAL. */
int fl_cli_exit_for(int rc);
/* "faultline: CMD: why", with CMD said once: a why that already starts with "CMD: "
 * (a message from a layer that labels itself the same way) is printed without it. */
void fl_cli_fail(const char *cmd, const char *why);
/* Parse a decimal unsigned integer with nothing after it; 0 on success. */
int fl_cli_parse_u64(const char *s, uint64_t *out);
/* A seed: at most 2^63 - 1, because SQLite keeps signed 64-bit integers (a larger one
 * would be stored, shown and queried as a negative number). */
#define FL_CLI_MAX_SEED 9223372036854775807ull
int fl_cli_parse_seed(const char *s, uint64_t *out);
/* Write text to path through path.tmp and a rename, so a failed write leaves an existing
 * file as it was.  FL_EXIT_OK, FL_EXIT_USAGE (the file cannot be created: a directory
 * that does not exist) or FL_EXIT_INTERNAL (the write failed), said as "LABEL path: ..."
 * (LABEL: the command and option, "script: --out"). */
int fl_cli_write_file(const char *label, const char *path, const char *text);

int fl_cmd_run(int argc, char **argv);
int fl_cmd_scenario(int argc, char **argv);
int fl_cmd_protocols(int argc, char **argv);
int fl_cmd_query(int argc, char **argv);
int fl_cmd_sweep(int argc, char **argv);
int fl_cmd_replay(int argc, char **argv);
int fl_cmd_recheck(int argc, char **argv);
int fl_cmd_shrink(int argc, char **argv); /* shrink (issue 13) */
int fl_cmd_show(int argc, char **argv);
int fl_cmd_merge(int argc, char **argv);
int fl_cmd_migrate(int argc, char **argv);
int fl_cmd_prune(int argc, char **argv);

/* signals.c: SIGINT/SIGTERM remembered from main()'s first line until a command takes
 * over; the signal caught so far, or 0. */
void fl_signals_early(void);
int fl_signals_caught(void);
/* The default action back, and a signal caught early delivered now. */
void fl_signals_release(void);
int fl_cmd_worker(int argc, char **argv); /* `__worker`: started by sweep, not listed */
int fl_cmd_check_history(int argc, char **argv);
int fl_cmd_export(int argc, char **argv);
int fl_cmd_serve(int argc, char **argv);
int fl_cmd_script(int argc, char **argv);
int fl_cmd_diff(int argc, char **argv);

#endif /* FL_SIM_CLI_H */

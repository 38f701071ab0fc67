/* cli.c -- helpers shared by the subcommands (see cli.h). */
#include "sim/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void fl_cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("faultline: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int fl_cli_exit_for(int rc)
{
    switch (rc) {
    case FL_EINVAL:
    case FL_EPARSE:
    case FL_ENOTFOUND:
    case FL_ESCHEMA:
    case FL_EBADDB:
    case FL_ELIMIT: /* the input asks for more than a run holds (a schedule past its limit) */
        return FL_EXIT_USAGE;
    default:
        return FL_EXIT_INTERNAL;
    }
}

void fl_cli_fail(const char *cmd, const char *why)
{
    size_t n = strlen(cmd);
    while (strncmp(why, cmd, n) == 0 && why[n] == ':' && why[n + 1] == ' ')
        why += n + 2;
    fl_cli_error("%s: %s", cmd, why);
}

int fl_cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int fl_cli_parse_seed(const char *s, uint64_t *out)
{
    return fl_cli_parse_u64(s, out) || *out > FL_CLI_MAX_SEED ? -1 : 0;
}

/* Write text to path through path.tmp: the exit code, with the message printed.  A path
 * that cannot be opened is the user's (2); a failed write is an I/O failure (3). */
int fl_cli_write_file(const char *label, const char *path, const char *text)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (!tmp) {
        fl_cli_error("%s: out of memory", label);
        return FL_EXIT_INTERNAL;
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fl_cli_error("%s %s: cannot create the file: %s", label, path, strerror(errno));
        free(tmp);
        return FL_EXIT_USAGE;
    }
    int ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fl_cli_error("%s %s: writing the file failed: %s", label, path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? FL_EXIT_OK : FL_EXIT_INTERNAL;
}

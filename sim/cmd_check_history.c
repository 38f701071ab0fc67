/*
 * cmd_check_history.c -- `faultline check-history FILE --model register|kv`: read a
 * history of client operations (JSON lines, docs/linearizability.md) and say whether it
 * is linearizable, with a report of the first violation found.  The checking is in
 * results/lin.c; this file parses options, reads the file and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/faultline.h"
#include "results/history.h"
#include "results/lin.h"
#include "sim/cli.h"

static const char check_usage[] =
    "usage: faultline check-history FILE --model register|kv [--format text|json]\n"
    "                               [--budget DURATION] [--max-states N] [--no-partition]\n\n"
    "Check that a history of client operations (JSON lines in Jepsen's vocabulary; FILE\n"
    "may be - for stdin) is linearizable for a register or a key-value store.  Format,\n"
    "semantics and the report: docs/linearizability.md.\n"
    "  --model M        register (integers, null initially) or kv (strings, \"\" initially)\n"
    "  --format F       text (default) or json\n"
    "  --budget D       give up after D of wall-clock time (e.g. 10s): verdict unknown\n"
    "  --max-states N   give up after N search states (default 100000000): unknown\n"
    "  --no-partition   kv: check all keys as one object instead of key by key\n\n"
    "Exit codes: 0 linearizable, 1 not linearizable, 4 unknown within the budget,\n"
    "2 usage or input error (one line: FILE:LINE: why), 3 internal error.\n";

typedef struct args {
    const char *file;
    int model, json, whole;
    fl_lin_budget budget;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"format", required_argument, 0, 'f'},
                                         {"budget", required_argument, 0, 'b'},
                                         {"max-states", required_argument, 0, 's'},
                                         {"no-partition", no_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(check_usage, stdout);
            return -1;
        } else if (c == 'm') {
            a->model = fl_lin_model_parse(optarg);
            if (a->model != FL_LIN_REGISTER && a->model != FL_LIN_KV) {
                fl_cli_error("check-history: --model: expected register or kv, got '%s'", optarg);
                return FL_EXIT_USAGE;
            }
        } else if (c == 'f') {
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
                fl_cli_error("check-history: --format: expected text or json, got '%s'", optarg);
                return FL_EXIT_USAGE;
            }
            a->json = strcmp(optarg, "json") == 0;
        } else if (c == 'b') {
            if (fl_parse_duration(optarg, &a->budget.wall_ns) != 0 || a->budget.wall_ns <= 0) {
                fl_cli_error("check-history: --budget: expected a duration such as 10s, got "
                             "'%s'",
                             optarg);
                return FL_EXIT_USAGE;
            }
        } else if (c == 's') {
            if (fl_cli_parse_u64(optarg, &a->budget.max_states) || a->budget.max_states == 0) {
                fl_cli_error("check-history: --max-states: expected a positive integer, got "
                             "'%s'",
                             optarg);
                return FL_EXIT_USAGE;
            }
        } else if (c == 'P') {
            a->whole = 1;
        } else {
            fl_cli_error("check-history: unknown option '%s' (see faultline check-history "
                         "--help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fl_cli_error("check-history: missing FILE (see faultline check-history --help)");
        return FL_EXIT_USAGE;
    }
    a->file = argv[optind++];
    if (optind < argc) {
        fl_cli_error("check-history: unexpected argument '%s'", argv[optind]);
        return FL_EXIT_USAGE;
    }
    if (a->model < 0) {
        fl_cli_error("check-history: --model register|kv is required");
        return FL_EXIT_USAGE;
    }
    if (a->whole && a->model != FL_LIN_KV) {
        fl_cli_error("check-history: --no-partition applies to --model kv only");
        return FL_EXIT_USAGE;
    }
    if (a->whole)
        a->model = FL_LIN_KV_WHOLE;
    return 0;
}

/* "[events 3..7]", "[event 3, info at 7]", "[event 3, never completed]" */
static const char *span(const fl_op *o, char *buf, size_t cap)
{
    if (o->type == FL_DONE_NONE)
        snprintf(buf, cap, "[invoked at event %" PRId64 ", never completed]", o->invoke_index);
    else
        snprintf(buf, cap, "[events %" PRId64 "..%" PRId64 "]", o->invoke_index, o->complete_index);
    return buf;
}

static void print_op(const fl_history *h, size_t i)
{
    char d[200], s[80];
    printf("  op %zu  %s  %s\n", i, fl_history_describe(h, i, d, sizeof d),
           span(fl_history_op(h, i), s, sizeof s));
}

#define PREFIX_SHOWN 10 /* the last ops of a long prefix: the ones that matter */

static void print_text(const char *file, const fl_history *h, const fl_lin_result *r)
{
    printf("%s: %s\n", file, r->detail);
    if (r->verdict != FL_LIN_VIOLATION)
        return;
    printf("linearizable prefix (%zu operations, in linearization order):\n", r->prefix_len);
    size_t from = r->prefix_len > PREFIX_SHOWN ? r->prefix_len - PREFIX_SHOWN : 0;
    if (from)
        printf("  ... %zu earlier operations\n", from);
    for (size_t i = from; i < r->prefix_len; i++)
        print_op(h, r->prefix[i]);
    printf("cannot linearize:\n");
    print_op(h, (size_t)r->culprit);
    if (r->concurrent_len)
        printf("pending with it:\n");
    for (size_t i = 0; i < r->concurrent_len; i++)
        print_op(h, r->concurrent[i]);
}

static cJSON *op_json(const fl_history *h, size_t i)
{
    char d[200];
    const fl_op *o = fl_history_op(h, i);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "op", (double)i);
    cJSON_AddNumberToObject(j, "process", o->process);
    cJSON_AddStringToObject(j, "f", fl_op_f_name(o->f));
    cJSON_AddStringToObject(j, "type", fl_op_type_name(o->type));
    cJSON_AddNumberToObject(j, "invoke_index", (double)o->invoke_index);
    if (o->complete_index >= 0)
        cJSON_AddNumberToObject(j, "complete_index", (double)o->complete_index);
    else
        cJSON_AddNullToObject(j, "complete_index");
    cJSON_AddStringToObject(j, "description", fl_history_describe(h, i, d, sizeof d));
    return j;
}

static int print_json(const char *file, const fl_history *h, int model, const fl_lin_result *r)
{
    static const char *const models[] = {"register", "kv", "kv"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", file);
    cJSON_AddStringToObject(j, "model", models[model]);
    cJSON_AddBoolToObject(j, "partitioned", model == FL_LIN_KV);
    cJSON_AddStringToObject(j, "verdict", fl_lin_verdict_name(r->verdict));
    cJSON_AddNumberToObject(j, "ops", (double)fl_history_len(h));
    cJSON_AddNumberToObject(j, "ops_checked", (double)r->ops_checked);
    cJSON_AddNumberToObject(j, "partitions", (double)r->partitions);
    cJSON_AddNumberToObject(j, "states", (double)r->states);
    cJSON_AddStringToObject(j, "detail", r->detail);
    if (r->verdict == FL_LIN_VIOLATION) {
        size_t len;
        const char *k = r->key >= 0 ? fl_history_str(h, (uint32_t)r->key, &len) : NULL;
        if (k) {
            char *kk = strndup(k, len);
            cJSON_AddStringToObject(j, "key", kk ? kk : "");
            free(kk);
        } else {
            cJSON_AddNullToObject(j, "key");
        }
        cJSON *p = cJSON_AddArrayToObject(j, "prefix");
        for (size_t i = 0; i < r->prefix_len; i++)
            cJSON_AddItemToArray(p, cJSON_CreateNumber((double)r->prefix[i]));
        cJSON_AddItemToObject(j, "culprit", op_json(h, (size_t)r->culprit));
        cJSON *c = cJSON_AddArrayToObject(j, "concurrent");
        for (size_t i = 0; i < r->concurrent_len; i++)
            cJSON_AddItemToArray(c, op_json(h, r->concurrent[i]));
    }
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        return FL_ENOMEM;
    puts(text);
    free(text);
    return 0;
}

static int read_history(const char *file, fl_history *h, char *err, size_t cap)
{
    if (strcmp(file, "-") == 0)
        return fl_history_read_jsonl(h, stdin, "-", err, cap);
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", file, strerror(errno));
        return FL_EIO;
    }
    int rc = fl_history_read_jsonl(h, f, file, err, cap);
    fclose(f);
    return rc;
}

int fl_cmd_check_history(int argc, char **argv)
{
    args a = {.model = -1};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? FL_EXIT_OK : rc;
    fl_history *h = fl_history_new();
    char err[1024];
    if (!h) {
        fl_cli_error("check-history: out of memory");
        return FL_EXIT_INTERNAL;
    }
    rc = read_history(a.file, h, err, sizeof err);
    if (rc) {
        fl_cli_fail("check-history", err);
        fl_history_free(h);
        return rc == FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
    }
    fl_lin_result r;
    rc = fl_lin_check(h, a.model, &a.budget, &r);
    if (rc == FL_EINVAL) {
        fl_cli_error("check-history: %s: %s", a.file, r.detail);
        fl_history_free(h);
        return FL_EXIT_USAGE;
    }
    if (rc == 0)
        rc = a.json ? print_json(a.file, h, a.model, &r) : (print_text(a.file, h, &r), 0);
    int ex = rc                              ? FL_EXIT_INTERNAL
             : r.verdict == FL_LIN_OK        ? FL_EXIT_OK
             : r.verdict == FL_LIN_VIOLATION ? FL_EXIT_FAILED
                                             : FL_EXIT_UNKNOWN;
    if (rc)
        fl_cli_error("check-history: %s", fl_strerror(rc));
    fl_lin_result_close(&r);
    fl_history_free(h);
    return ex;
}

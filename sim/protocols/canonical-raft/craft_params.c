/*
 * craft_params.c -- the `params` object of a canonical-raft scenario: validation and
 * parsing.  configure() validates once per run and names the JSON path of the first
 * problem; every start() parses the same object again.  libraft counts time in whole
 * milliseconds, so durations must be whole milliseconds too.
 */
#include <stdio.h>
#include <string.h>

#include "sim/protocols/canonical-raft/craft.h"

const char cr_params_doc[] =
    "election_timeout: libraft's election timeout, drawn in [t, 2t) (\"150ms\", whole ms)\n"
    "heartbeat: libraft's heartbeat and tick interval, shorter than election_timeout "
    "(\"50ms\", whole ms)\n"
    "max_entries_per_msg: entries per AppendEntries, >= 1 (64)\n"
    "pre_vote: libraft's pre-vote phase (false)\n"
    "fix_result_last: cap the last index of an AppendEntriesResult at what the "
    "AppendEntries checked, as cowsql/raft#148 does (false)\n"
    "fix_term_change: send no AppendEntriesResult for an append that completes after the "
    "term changed, as canonical/raft 35479fc (0.17.1) does (false)\n"
    "checks: the Raft observer's safety and liveness checks; false lets a script play a "
    "violation out (true)\n";

#define MAX_TIMEOUT_MS 3600000u

static int parse_ms(const cJSON *v, const char *path, unsigned *ms, char *err, size_t cap)
{
    int64_t ns = 0;
    if (!cJSON_IsString(v) || fl_parse_duration(v->valuestring, &ns) != 0 || ns <= 0 ||
        ns % FL_MS != 0 || ns / FL_MS > MAX_TIMEOUT_MS) {
        snprintf(err, cap,
                 "params.%s: expected a whole number of milliseconds in (0, 1h] such as "
                 "\"150ms\"",
                 path);
        return -1;
    }
    *ms = (unsigned)(ns / FL_MS);
    return 0;
}

static int parse_key(const cJSON *k, struct cr_params *p, char *err, size_t cap)
{
    if (strcmp(k->string, "election_timeout") == 0)
        return parse_ms(k, "election_timeout", &p->election_ms, err, cap);
    if (strcmp(k->string, "heartbeat") == 0)
        return parse_ms(k, "heartbeat", &p->heartbeat_ms, err, cap);
    if (strcmp(k->string, "max_entries_per_msg") == 0) {
        double d = cJSON_IsNumber(k) ? k->valuedouble : -1;
        if (d < 1 || d > 4096 || d != (double)(int)d) {
            snprintf(err, cap, "params.max_entries_per_msg: expected an integer in [1, 4096]");
            return -1;
        }
        p->max_entries = (unsigned)d;
        return 0;
    }
    int *flag = strcmp(k->string, "pre_vote") == 0          ? &p->pre_vote
                : strcmp(k->string, "fix_result_last") == 0 ? &p->fix_result_last
                : strcmp(k->string, "fix_term_change") == 0 ? &p->fix_term_change
                : strcmp(k->string, "checks") == 0          ? &p->checks
                                                            : NULL;
    if (flag) {
        if (!cJSON_IsBool(k)) {
            snprintf(err, cap, "params.%s: expected true or false", k->string);
            return -1;
        }
        *flag = cJSON_IsTrue(k);
        return 0;
    }
    snprintf(err, cap,
             "params.%.64s: unknown key (expected election_timeout, heartbeat, "
             "max_entries_per_msg, pre_vote, fix_result_last, fix_term_change, checks)",
             k->string);
    return -1;
}

int cr_params_parse(const cJSON *params, struct cr_params *p, char *err, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->election_ms = 150;
    p->heartbeat_ms = 50;
    p->max_entries = 64;
    p->checks = 1;
    if (!params || cJSON_IsNull(params))
        return 0;
    if (!cJSON_IsObject(params)) {
        snprintf(err, cap, "params: expected an object");
        return -1;
    }
    for (const cJSON *k = params->child; k; k = k->next)
        if (parse_key(k, p, err, cap))
            return -1;
    if (p->heartbeat_ms >= p->election_ms) {
        snprintf(err, cap,
                 "params.heartbeat: must be shorter than params.election_timeout (%ums >= %ums)",
                 p->heartbeat_ms, p->election_ms);
        return -1;
    }
    return 0;
}

int cr_configure(const cJSON *params, char *err, size_t cap)
{
    struct cr_params p;
    return cr_params_parse(params, &p, err, cap) ? -1 : 0;
}

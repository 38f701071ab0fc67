/*
 * etcd_params.c -- the `params` of an etcd-raft scenario, with the meanings of our
 * Raft's params (docs/raft.md) mapped onto etcd's tick-based Config:
 *
 *   heartbeat         one tick, and HeartbeatTick = 1 (raftexample ticks every 100 ms)
 *   election_timeout  ElectionTick = election_timeout / heartbeat, at least 2; etcd draws
 *                     each term's timeout in [ElectionTick, 2 ElectionTick) ticks, so
 *                     150ms / 50ms is [150ms, 300ms), as our Raft draws it
 *   max_entries_per_msg  etcd limits a MsgApp by bytes (MaxSizePerMsg): 1 sets it to one
 *                     byte, which etcd reads as one entry per message; any other value
 *                     sets no limit (etcd cannot count entries)
 *   initial           the same persisted start state as our Raft's
 *   bugs              ["send_before_sync"]: the negative control, messages leave before
 *                     the sync that Ready.MustSync asks for
 *
 * configure() validates once per run; start() parses again (the object is small), so
 * no state outlives a node's memory.
 */
#include <stdio.h>
#include <string.h>

#include "sim/protocols/etcd-raft/etcd.h"

const char et_params_doc[] =
    "election_timeout: ElectionTick = election_timeout / heartbeat (>= 2), drawn in [t, 2t) "
    "(\"150ms\")\n"
    "heartbeat: one tick; HeartbeatTick = 1 (\"50ms\")\n"
    "max_entries_per_msg: 1 gives MaxSizePerMsg 1 byte (one entry per MsgApp); other values "
    "no limit (64)\n"
    "bugs: [\"send_before_sync\"] or [] ([])\n"
    "bugs.send_before_sync: a Ready's messages leave before its MustSync sync completes (the "
    "negative control)\n"
    "initial: persisted start state {\"term\", \"commit\", \"log_terms\": [...]} "
    "(bootstrap: one conf entry per node at term 1, term 1, commit N)\n";

static int duration(const cJSON *v, const char *key, int64_t *ns, char *err, size_t cap)
{
    if (!cJSON_IsString(v) || fl_parse_duration(v->valuestring, ns) != 0 || *ns <= 0 ||
        *ns > 3600 * FL_S) {
        snprintf(err, cap, "params.%s: expected a duration such as \"150ms\" in (0, 1h]", key);
        return -1;
    }
    return 0;
}

static int whole(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
           v->valuedouble == (double)(int64_t)v->valuedouble;
}

static int parse_initial(const cJSON *in, char *err, size_t cap)
{
    if (!cJSON_IsObject(in)) {
        snprintf(err, cap,
                 "params.initial: expected an object {\"term\", \"commit\", "
                 "\"log_terms\"}");
        return -1;
    }
    const cJSON *lt = cJSON_GetObjectItemCaseSensitive(in, "log_terms");
    int len = 0;
    for (const cJSON *k = in->child; k; k = k->next) {
        if (strcmp(k->string, "term") && strcmp(k->string, "commit") &&
            strcmp(k->string, "log_terms")) {
            snprintf(err, cap, "params.initial: unknown key \"%.64s\"", k->string);
            return -1;
        }
        if (strcmp(k->string, "log_terms") && !whole(k, 0, 1e12)) {
            snprintf(err, cap, "params.initial.%s: expected a whole number >= 0", k->string);
            return -1;
        }
    }
    if (lt && !cJSON_IsArray(lt)) {
        snprintf(err, cap, "params.initial.log_terms: expected an array of terms");
        return -1;
    }
    double prev = 1;
    for (const cJSON *t = lt ? lt->child : NULL; t; t = t->next, len++)
        if (!whole(t, prev, 1e12) || len >= 100000) {
            snprintf(err, cap,
                     "params.initial.log_terms[%d]: expected a term >= 1, not below the one "
                     "before (at most 100000 entries)",
                     len);
            return -1;
        } else {
            prev = t->valuedouble;
        }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(in, "commit");
    if (c && c->valuedouble > len) {
        snprintf(err, cap, "params.initial.commit: %d entries, commit %.0f is beyond them", len,
                 c->valuedouble);
        return -1;
    }
    return 0;
}

static int parse_bugs(const cJSON *v, unsigned *bugs, char *err, size_t cap)
{
    int i = 0;
    if (!cJSON_IsArray(v)) {
        snprintf(err, cap, "params.bugs: expected an array of bug names");
        return -1;
    }
    for (const cJSON *b = v->child; b; b = b->next, i++) {
        if (!cJSON_IsString(b) || strcmp(b->valuestring, "send_before_sync") != 0) {
            snprintf(err, cap, "params.bugs[%d]: unknown bug (expected send_before_sync)", i);
            return -1;
        }
        *bugs |= ET_BUG_SEND_BEFORE_SYNC;
    }
    return 0;
}

int et_params_parse(const cJSON *params, struct et_params *p, char *err, size_t cap)
{
    *p = (struct et_params){
        .election_ns = 150 * FL_MS, .heartbeat_ns = 50 * FL_MS, .max_entries = 64};
    if (params && !cJSON_IsObject(params)) {
        snprintf(err, cap, "params: expected an object");
        return -1;
    }
    for (const cJSON *k = params ? params->child : NULL; k; k = k->next) {
        int rc = 0;
        if (strcmp(k->string, "election_timeout") == 0)
            rc = duration(k, k->string, &p->election_ns, err, cap);
        else if (strcmp(k->string, "heartbeat") == 0)
            rc = duration(k, k->string, &p->heartbeat_ns, err, cap);
        else if (strcmp(k->string, "max_entries_per_msg") == 0) {
            if (!whole(k, 1, 4096)) {
                snprintf(err, cap,
                         "params.max_entries_per_msg: expected a whole number in "
                         "[1, 4096]");
                return -1;
            }
            p->max_entries = (int)k->valuedouble;
        } else if (strcmp(k->string, "bugs") == 0)
            rc = parse_bugs(k, &p->bugs, err, cap);
        else if (strcmp(k->string, "initial") == 0)
            rc = parse_initial(k, err, cap);
        else {
            snprintf(err, cap,
                     "params: unknown key \"%.64s\" (expected election_timeout, heartbeat, "
                     "max_entries_per_msg, bugs, initial)",
                     k->string);
            return -1;
        }
        if (rc)
            return rc;
    }
    if (p->election_ns / p->heartbeat_ns < 2) {
        snprintf(err, cap,
                 "params.election_timeout: must be at least twice the heartbeat "
                 "(etcd needs ElectionTick > HeartbeatTick)");
        return -1;
    }
    return 0;
}

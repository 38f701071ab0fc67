/*
 * raft_params.c -- the `params` object of a Raft scenario: validation and parsing.
 *
 * configure() validates once per run and names the JSON path of the first problem;
 * every start() parses the same object again (it is small) into struct fr_params, so
 * that no state outlives a node's memory.  Unknown keys are errors, as everywhere in
 * faultline's scenarios.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

const char *const fr_bug_names[FR_BUG_COUNT + 1] = {
    "quorum_off_by_one", "forget_vote",     "accept_stale_term", "keep_conflicts", "vote_any_log",
    "commit_old_term",   "ack_before_sync", "stale_read",        "early_ack",      NULL};

const char fr_params_doc[] =
    "election_timeout: base election timeout, drawn in [t, 2t) per term (\"150ms\")\n"
    "heartbeat: leader heartbeat interval, shorter than election_timeout (\"50ms\")\n"
    "max_entries_per_msg: entries per MsgApp, >= 1 (64)\n"
    "bugs: known bugs to switch on, e.g. [\"forget_vote\"] ([])\n"
    "bugs.quorum_off_by_one: a majority is counted as n/2, so 1 of 3 votes elects a leader and "
    "1 of 3 acks commits\n"
    "bugs.forget_vote: the vote is not persisted, so a restarted node votes twice in one term\n"
    "bugs.accept_stale_term: a follower accepts MsgApp from a leader of an older term\n"
    "bugs.keep_conflicts: a follower appends after a conflicting entry instead of cutting "
    "its log there\n"
    "bugs.vote_any_log: votes are granted without checking that the candidate's log is up to "
    "date\n"
    "bugs.commit_old_term: a leader commits an old-term entry by counting replicas (Raft "
    "paper, figure 8)\n"
    "bugs.ack_before_sync: a follower acknowledges entries before they are synced to disk\n"
    "bugs.stale_read: a leader answers client reads at once from its own state, without "
    "confirming it is still leader\n"
    "bugs.early_ack: a leader acknowledges a client write when it appends it, before it "
    "commits\n"
    "initial: persisted start state {\"term\", \"commit\", \"log_terms\": [...]} "
    "(bootstrap: one conf entry per node at term 1, term 1, commit N)\n";

#define DEFAULT_ELECTION_NS (150 * FL_MS)
#define DEFAULT_HEARTBEAT_NS (50 * FL_MS)
#define DEFAULT_MAX_ENTRIES 64
#define MAX_TIMEOUT_NS (3600 * FL_S)

/* A key or string for an error message: at most 64 bytes, control bytes as \xNN (a newline in
 * it must not break the error's one line). */
static const char *key_text(const char *key, char *buf, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p && n < 64 && n + 5 < cap; p++)
        if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *p);
        else
            buf[n++] = (char)*p;
    buf[n] = '\0';
    return buf;
}

/* What the user wrote, for "got ..." in messages: compact JSON, cut at 40 bytes. */
static const char *got(const cJSON *v, char *buf, size_t cap)
{
    char *text = cJSON_PrintUnformatted(v);
    snprintf(buf, cap, "%.40s%s", text ? text : "?", text && strlen(text) > 40 ? "..." : "");
    cJSON_free(text);
    return buf;
}

static int parse_duration(const cJSON *v, const char *path, int64_t *ns, char *err, size_t cap)
{
    char g[48];
    if (!cJSON_IsString(v)) {
        snprintf(err, cap, "params.%s: expected a duration such as \"150ms\", got %s", path,
                 got(v, g, sizeof g));
        return -1;
    }
    if (fl_parse_duration(v->valuestring, ns) != 0 || *ns <= 0 || *ns > MAX_TIMEOUT_NS) {
        char vb[80];
        snprintf(err, cap,
                 "params.%s: expected a duration in (0, 1h] such as \"150ms\", "
                 "got \"%s\"",
                 path, key_text(v->valuestring, vb, sizeof vb));
        return -1;
    }
    return 0;
}

/* An integer-valued JSON number in [lo, hi].  The range is checked before anything is
 * converted: casting inf or 1e30 to an integer is undefined behaviour. */
static int parse_uint(const cJSON *v, const char *path, uint64_t lo, uint64_t hi, uint64_t *out,
                      char *err, size_t cap)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!isfinite(d) || d < (double)lo || d > (double)hi || d != floor(d)) {
        char g[48];
        snprintf(err, cap, "params.%s: expected an integer in [%llu, %llu], got %s", path,
                 (unsigned long long)lo, (unsigned long long)hi, got(v, g, sizeof g));
        return -1;
    }
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static int bug_index(const char *name)
{
    for (int i = 0; fr_bug_names[i]; i++)
        if (strcmp(name, fr_bug_names[i]) == 0)
            return i;
    return -1;
}

static int parse_bugs(const cJSON *v, unsigned *bugs, char *err, size_t cap)
{
    if (!cJSON_IsArray(v)) {
        snprintf(err, cap, "params.bugs: expected an array of bug names");
        return -1;
    }
    int i = 0;
    for (const cJSON *b = v->child; b; b = b->next, i++) {
        int k = cJSON_IsString(b) ? bug_index(b->valuestring) : -1;
        if (k >= 0) {
            *bugs |= 1u << k;
            continue;
        }
        char known[256] = "";
        for (int j = 0; fr_bug_names[j]; j++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                     fr_bug_names[j]);
        char vb[80];
        if (cJSON_IsString(b))
            snprintf(err, cap, "params.bugs[%d]: unknown bug \"%s\" (expected %s)", i,
                     key_text(b->valuestring, vb, sizeof vb), known);
        else
            snprintf(err, cap, "params.bugs[%d]: expected a bug name (one of %s)", i, known);
        return -1;
    }
    return 0;
}

/* params.initial: {"term", "commit", "log_terms": [...]}: terms >= 1, non-decreasing, at
 * most `term`; commit at most the log length. */
static int check_initial(const cJSON *v, char *err, size_t cap)
{
    if (!cJSON_IsObject(v)) {
        snprintf(err, cap,
                 "params.initial: expected an object {\"term\", \"commit\", "
                 "\"log_terms\"}");
        return -1;
    }
    uint64_t term = 0, commit = 0, prev = 1, t;
    char kb[80];
    for (const cJSON *k = v->child; k; k = k->next) {
        if (strcmp(k->string, "term") && strcmp(k->string, "commit") &&
            strcmp(k->string, "log_terms")) {
            snprintf(err, cap,
                     "params.initial.%s: unknown key (expected term, commit, "
                     "log_terms)",
                     key_text(k->string, kb, sizeof kb));
            return -1;
        }
    }
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(v, "term");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(v, "commit");
    const cJSON *jl = cJSON_GetObjectItemCaseSensitive(v, "log_terms");
    if (jt && parse_uint(jt, "initial.term", 0, FR_MAX_TERM, &term, err, cap))
        return -1;
    if (jl && !cJSON_IsArray(jl)) {
        snprintf(err, cap, "params.initial.log_terms: expected an array of terms");
        return -1;
    }
    int len = jl ? cJSON_GetArraySize(jl) : 0;
    if (len > FR_MAX_INITIAL_ENTRIES) {
        snprintf(err, cap, "params.initial.log_terms: at most %d entries, got %d",
                 FR_MAX_INITIAL_ENTRIES, len);
        return -1;
    }
    int i = 0;
    for (const cJSON *e = jl ? jl->child : NULL; e; e = e->next, i++) {
        char path[64];
        snprintf(path, sizeof path, "initial.log_terms[%d]", i);
        if (parse_uint(e, path, prev, term ? term : FR_MAX_TERM, &t, err, cap))
            return -1;
        prev = t;
    }
    if (jc && parse_uint(jc, "initial.commit", 0, (uint64_t)len, &commit, err, cap))
        return -1;
    return 0;
}

static int parse_key(const cJSON *k, struct fr_params *p, char *err, size_t cap)
{
    uint64_t u;
    if (strcmp(k->string, "election_timeout") == 0)
        return parse_duration(k, "election_timeout", &p->election_ns, err, cap);
    if (strcmp(k->string, "heartbeat") == 0)
        return parse_duration(k, "heartbeat", &p->heartbeat_ns, err, cap);
    if (strcmp(k->string, "max_entries_per_msg") == 0) {
        if (parse_uint(k, "max_entries_per_msg", 1, FR_MAX_ENTRIES_PER_MSG, &u, err, cap))
            return -1;
        p->max_entries = (uint32_t)u;
        return 0;
    }
    if (strcmp(k->string, "bugs") == 0)
        return parse_bugs(k, &p->bugs, err, cap);
    if (strcmp(k->string, "initial") == 0)
        return check_initial(k, err, cap);
    char kb[80];
    snprintf(err, cap,
             "params.%s: unknown key (expected election_timeout, heartbeat, "
             "max_entries_per_msg, bugs, initial)",
             key_text(k->string, kb, sizeof kb));
    return -1;
}

int fr_params_parse(const cJSON *params, struct fr_params *p, char *err, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->election_ns = DEFAULT_ELECTION_NS;
    p->heartbeat_ns = DEFAULT_HEARTBEAT_NS;
    p->max_entries = DEFAULT_MAX_ENTRIES;
    if (!params || cJSON_IsNull(params))
        return 0;
    if (!cJSON_IsObject(params)) {
        snprintf(err, cap, "params: expected an object");
        return -1;
    }
    for (const cJSON *k = params->child; k; k = k->next)
        if (parse_key(k, p, err, cap))
            return -1;
    if (p->heartbeat_ns >= p->election_ns) {
        snprintf(err, cap,
                 "params.heartbeat: must be shorter than params.election_timeout "
                 "(%lld ns >= %lld ns)",
                 (long long)p->heartbeat_ns, (long long)p->election_ns);
        return -1;
    }
    return 0;
}

int fr_configure(const cJSON *params, char *err, size_t cap)
{
    struct fr_params p;
    return fr_params_parse(params, &p, err, cap) ? -1 : 0;
}

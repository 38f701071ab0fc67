/*
 * raft_snapshot.c -- what a node shows (its state as JSON) and what it applies (the
 * key-value state machine).
 *
 * The snapshot's keys are a contract (scripts' `expect`, SQL's json_extract, the web
 * UI): role, term, vote, leader, commit, applied, last_index, last_term, and log, an
 * array of {term, index, type, data} with type "conf" or "normal".  Entry data is shown
 * as text; bytes outside printable ASCII are escaped as \xNN so the JSON stays valid.
 *
 * The state machine applies committed entries in index order (§5.3: "apply log[applied]
 * to the state machine"): "set <key> <value>" sets a key; any other non-empty entry is
 * kept as the last other value; configuration entries switch the configuration (the
 * membership is fixed at the cluster's nodes, so this only logs, as etcd does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

static const char *const role_names[] = {"follower", "candidate", "leader"};

static void data_text(const struct raft_entry *e, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (uint32_t i = 0; i < e->len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)e->data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* A growing text buffer for the log's JSON. */
struct text {
    char *buf;
    size_t len, cap;
};

static int text_put(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        while (ncap < t->len + n + 1)
            ncap *= 2;
        char *p = realloc(t->buf, ncap);
        if (!p)
            return -1;
        t->buf = p;
        t->cap = ncap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return 0;
}

#define TEXT_LIT(t, lit) text_put((t), (lit), sizeof(lit) - 1)

static int text_u64(struct text *t, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return text_put(t, tmp + i, sizeof tmp - (size_t)i);
}

/* One entry as {"term":T,"index":I,"type":"normal","data":"..."}; data_text keeps the
 * bytes printable, so only the quote needs escaping for JSON. */
static int entry_text(struct text *t, const struct raft_entry *e, uint64_t index)
{
    char data[4 * RAFT_MAX_ENTRY_BYTES + 8];
    data_text(e, data, sizeof data);
    int rc = TEXT_LIT(t, "{\"term\":") | text_u64(t, e->term) | TEXT_LIT(t, ",\"index\":") |
             text_u64(t, index);
    rc |= e->type == RAFT_ENTRY_CONF ? TEXT_LIT(t, ",\"type\":\"conf\",\"data\":\"")
                                     : TEXT_LIT(t, ",\"type\":\"normal\",\"data\":\"");
    for (const char *p = data; *p && rc == 0; p++)
        rc |= *p == '"' ? text_put(t, "\\\"", 2) : text_put(t, p, 1);
    return rc | TEXT_LIT(t, "\"}");
}

/* The whole log as JSON text, built directly: a snapshot is taken after every step of
 * a recorded or traced run and the log grows with the run, so a cJSON node per field
 * (ten mallocs an entry) dominated recording. */
static char *log_text(const struct raft_state *s)
{
    struct text t = {0};
    int rc = text_put(&t, "[", 1);
    for (uint64_t i = 1; rc == 0 && i <= s->last; i++)
        rc = (i > 1 ? text_put(&t, ",", 1) : 0) | entry_text(&t, &s->ents[i - 1], i);
    rc |= text_put(&t, "]", 1);
    if (rc) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

cJSON *raft_snapshot(const fl_node *n)
{
    const struct raft_state *s = fl_state_const(n);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "role", role_names[s->role]);
    cJSON_AddNumberToObject(o, "term", (double)s->term);
    cJSON_AddNumberToObject(o, "vote", s->vote);
    cJSON_AddNumberToObject(o, "leader", s->lead);
    cJSON_AddNumberToObject(o, "commit", (double)s->commit);
    cJSON_AddNumberToObject(o, "applied", (double)s->applied);
    cJSON_AddNumberToObject(o, "last_index", (double)s->last);
    cJSON_AddNumberToObject(o, "last_term", (double)raft_last_term(s));
    char *log = log_text(s);
    if (log)
        cJSON_AddRawToObject(o, "log", log);
    free(log);
    return o;
}

/* ---- the key-value state machine ---- */

static char *dup_n(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, p, len);
        d[len] = '\0';
    }
    return d;
}

/* Binary search in the sorted keys: the index of key, or where it would go. */
static size_t kv_find(const struct raft_state *s, const char *key, int *found)
{
    size_t lo = 0, hi = s->nkv;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->kv[mid].key, key);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void kv_set(struct raft_state *s, char *key, char *val)
{
    int found;
    if (!key || !val) {
        free(key);
        free(val);
        return;
    }
    size_t at = kv_find(s, key, &found);
    if (found) {
        free(key);
        free(s->kv[at].val);
        s->kv[at].val = val;
        return;
    }
    struct raft_kv *kv = raft_grow(s->kv, &s->capkv, s->nkv + 1, sizeof *kv);
    if (!kv) {
        free(key);
        free(val);
        return;
    }
    s->kv = kv;
    memmove(&s->kv[at + 1], &s->kv[at], (s->nkv - at) * sizeof *s->kv);
    s->kv[at] = (struct raft_kv){key, val};
    s->nkv++;
}

static void apply_normal(struct raft_state *s, const struct raft_entry *e)
{
    if (e->len == 0)
        return; /* a leader's empty entry */
    const char *p = e->data, *end = e->data + e->len;
    if (e->len > 4 && memcmp(p, "set ", 4) == 0) {
        const char *k = p + 4;
        const char *sp = memchr(k, ' ', (size_t)(end - k));
        if (sp && sp > k) {
            kv_set(s, dup_n(k, (size_t)(sp - k)), dup_n(sp + 1, (size_t)(end - sp - 1)));
            return;
        }
    }
    free(s->sm_other);
    s->sm_other = dup_n(p, e->len);
}

static void apply_conf(fl_node *n, struct raft_state *s)
{
    char ids[128];
    size_t o = 0;
    s->voters++;
    for (int id = 1; id <= s->voters && o + 24 < sizeof ids; id++) {
        if (s->voters > 8 && id == 4) {
            o += (size_t)snprintf(ids + o, sizeof ids - o, " ...");
            id = s->voters - 3;
            continue;
        }
        o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%d", id > 1 ? " " : "", id);
    }
    ids[o] = '\0';
    fl_log(n, FL_LOG_INFO, "%d switched to configuration voters=(%s)", s->id, ids);
}

void raft_apply(fl_node *n, struct raft_state *s)
{
    while (s->applied < s->commit) {
        const struct raft_entry *e = &s->ents[s->applied];
        s->applied++;
        s->sm_ops++;
        if (e->type == RAFT_ENTRY_CONF)
            apply_conf(n, s);
        else
            apply_normal(s, e);
    }
}

void raft_sm_free(struct raft_state *s)
{
    for (size_t i = 0; i < s->nkv; i++) {
        free(s->kv[i].key);
        free(s->kv[i].val);
    }
    free(s->kv);
    s->kv = NULL;
    s->nkv = s->capkv = 0;
    free(s->sm_other);
    s->sm_other = NULL;
}

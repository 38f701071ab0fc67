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

static void data_text(const struct fr_entry *e, char *out, size_t cap)
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

#define TEXT_LIT(lt, lit) text_put((lt), (lit), sizeof(lit) - 1)

static int text_put(struct fr_logtext *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        while (ncap < t->len + n + 1)
            ncap *= 2;
        char *b = realloc(t->buf, ncap);
        if (!b)
            return -1;
        t->buf = b;
        t->cap = ncap;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return 0;
}

static int text_u64(struct fr_logtext *t, uint64_t v)
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
 * bytes printable (others as \xNN), so only quotes and backslashes need escaping. */
static int entry_text(struct fr_logtext *t, const struct fr_entry *e, uint64_t index)
{
    char data[4 * FR_MAX_ENTRY_BYTES + 8];
    if (e->type == FR_ENTRY_CLIENT)
        fr_client_text(e, data, sizeof data);
    else
        data_text(e, data, sizeof data);
    int rc = (index > 1 ? TEXT_LIT(t, ",") : 0) | TEXT_LIT(t, "{\"term\":") | text_u64(t, e->term) |
             TEXT_LIT(t, ",\"index\":") | text_u64(t, index);
    rc |= e->type == FR_ENTRY_CONF     ? TEXT_LIT(t, ",\"type\":\"conf\",\"data\":\"")
          : e->type == FR_ENTRY_CLIENT ? TEXT_LIT(t, ",\"type\":\"client\",\"data\":\"")
                                       : TEXT_LIT(t, ",\"type\":\"normal\",\"data\":\"");
    for (const char *p = data; *p && rc == 0;) {
        size_t run = strcspn(p, "\"\\");
        rc |= text_put(t, p, run);
        p += run;
        if (*p) {
            rc |= *p == '"' ? TEXT_LIT(t, "\\\"") : TEXT_LIT(t, "\\\\");
            p++;
        }
    }
    return rc | TEXT_LIT(t, "\"}");
}

/* How many leading entries of the cache are still the log's: a prefix, since a cut
 * replaces a suffix with entries of new (larger) seqs.  Binary search on that. */
static uint64_t valid_prefix(const struct fr_state *s, const struct fr_logtext *t)
{
    uint64_t lo = 0, hi = t->n < s->last ? t->n : s->last;
    if (hi > 0 && s->ents[hi - 1].seq == t->seq[hi - 1])
        return hi;
    while (lo < hi) { /* invariant: entries < lo match, entries >= hi do not */
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->ents[mid].seq == t->seq[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The whole log as JSON text "[...]", from the cache, extended as needed.  The text is
 * valid until the next call; NULL when out of memory. */
static const char *log_text(struct fr_state *s)
{
    struct fr_logtext *t = &s->lt;
    if (t->cap == 0 && TEXT_LIT(t, "[") != 0) /* the opening bracket, once */
        return NULL;
    uint64_t keep = valid_prefix(s, t);
    if (keep < t->n || s->last > keep)
        t->version++; /* entries cut or appended: the text moves */
    t->n = keep;
    t->len = keep ? t->end[keep - 1] : 1;
    t->buf[t->len] = '\0';
    if (s->last > t->ncap) {
        uint64_t ncap = t->ncap ? t->ncap : 64;
        while (ncap < s->last)
            ncap *= 2;
        size_t *end = realloc(t->end, ncap * sizeof *end);
        if (end)
            t->end = end;
        uint64_t *seq = realloc(t->seq, ncap * sizeof *seq);
        if (seq)
            t->seq = seq;
        if (!end || !seq)
            return NULL;
        t->ncap = ncap;
    }
    for (uint64_t i = t->n + 1; i <= s->last; i++) {
        if (entry_text(t, &s->ents[i - 1], i) != 0)
            return NULL;
        t->end[i - 1] = t->len;
        t->seq[i - 1] = s->ents[i - 1].seq;
        t->n = i;
    }
    size_t body = t->len;
    if (TEXT_LIT(t, "]") != 0)
        return NULL;
    t->len = body; /* the closing bracket is not part of the cached prefix */
    return t->buf;
}

void fr_logtext_free(struct fr_state *s)
{
    free(s->lt.buf);
    free(s->lt.end);
    free(s->lt.seq);
    memset(&s->lt, 0, sizeof s->lt);
}

/* A member whose key is a literal: not copied (cJSON_AddItemToObjectCS), as the
 * snapshot is built at every step of a recorded run and its keys never change. */
static void add_number(cJSON *o, const char *key, double v)
{
    cJSON_AddItemToObjectCS(o, key, cJSON_CreateNumber(v));
}

cJSON *fr_snapshot(const fl_node *n)
{
    const struct fr_state *s = fl_state_const(n);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddItemToObjectCS(o, "role", cJSON_CreateStringReference(role_names[s->role]));
    add_number(o, "term", (double)s->term);
    add_number(o, "vote", s->vote);
    add_number(o, "leader", s->lead);
    add_number(o, "commit", (double)s->commit);
    add_number(o, "applied", (double)s->applied);
    add_number(o, "last_index", (double)s->last);
    add_number(o, "last_term", (double)fr_last_term(s));
    /* The cache is not state anyone can observe: filling it through a const node is
     * fine, and saves rebuilding the whole log's text at every snapshot.  It goes by
     * reference with its version: copying, then comparing, the whole text at every step
     * was most of what recording cost.  The tree lives only until the caller has
     * printed it, before the cache changes again. */
    const char *log = log_text((struct fr_state *)s);
    cJSON *text = log ? fl_snapshot_text(log, s->lt.version) : NULL;
    if (text)
        cJSON_AddItemToObjectCS(o, "log", text);
    if (s->client_ops) { /* only with clients: older runs' snapshots stay as they were */
        add_number(o, "client_ops", (double)s->client_ops);
        if (s->reg_set)
            add_number(o, "register", (double)s->reg);
    }
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
static size_t kv_find(const struct fr_state *s, const char *key, int *found);

const char *fr_kv_get(const struct fr_state *s, const char *key)
{
    int found;
    size_t at = kv_find(s, key, &found);
    return found ? s->kv[at].val : NULL;
}

static size_t kv_find(const struct fr_state *s, const char *key, int *found)
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

void fr_kv_set(struct fr_state *s, char *key, char *val)
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
    struct fr_kv *kv = fr_grow(s->kv, &s->capkv, s->nkv + 1, sizeof *kv);
    if (!kv) {
        free(key);
        free(val);
        return;
    }
    s->kv = kv;
    memmove(&s->kv[at + 1], &s->kv[at], (s->nkv - at) * sizeof *s->kv);
    s->kv[at] = (struct fr_kv){key, val};
    s->nkv++;
}

static void apply_normal(struct fr_state *s, const struct fr_entry *e)
{
    if (e->len == 0)
        return; /* a leader's empty entry */
    const char *p = e->data, *end = e->data + e->len;
    if (e->len > 4 && memcmp(p, "set ", 4) == 0) {
        const char *k = p + 4;
        const char *sp = memchr(k, ' ', (size_t)(end - k));
        if (sp && sp > k) {
            fr_kv_set(s, dup_n(k, (size_t)(sp - k)), dup_n(sp + 1, (size_t)(end - sp - 1)));
            return;
        }
    }
    free(s->sm_other);
    s->sm_other = dup_n(p, e->len);
}

static void apply_conf(fl_node *n, struct fr_state *s)
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

void fr_apply(fl_node *n, struct fr_state *s)
{
    while (s->applied < s->commit) {
        const struct fr_entry *e = &s->ents[s->applied];
        s->applied++;
        s->sm_ops++;
        if (e->type == FR_ENTRY_CONF)
            apply_conf(n, s);
        else if (e->type == FR_ENTRY_CLIENT)
            fr_apply_client(n, s, e);
        else
            apply_normal(s, e);
    }
}

void fr_sm_free(struct fr_state *s)
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
    fr_client_free(s);
}

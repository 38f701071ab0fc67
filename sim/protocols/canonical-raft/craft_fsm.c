/*
 * craft_fsm.c -- what a canonical-raft node applies (struct raft_fsm: the key-value
 * state machine of our Raft), what it shows (the snapshot JSON, with our Raft's keys),
 * and what the Raft observer reads (fl_raft_check through cr_raft_adapter).
 *
 * Snapshot keys: role, term, vote, leader, commit, applied, last_index, last_term,
 * stable, and log, an array of {term, index, type, data} with type "normal" (a command),
 * "conf" (a configuration) or "barrier"; data as text, bytes outside printable ASCII
 * as \xNN.  The log is the adapter's shadow of libraft's (craft_disk.c), which io->append
 * and io->truncate keep equal to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/canonical-raft/craft.h"

/* ---- the state machine ---- */

static char *dup_n(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, p, len);
        d[len] = '\0';
    }
    return d;
}

static void kv_set(struct cr_state *s, const char *k, size_t klen, const char *v, size_t vlen)
{
    size_t lo = 0, hi = s->nkv;
    char *key = dup_n(k, klen), *val = dup_n(v, vlen);
    if (!key || !val) {
        free(key);
        free(val);
        return;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->kv[mid].key, key);
        if (c == 0) {
            free(key);
            free(s->kv[mid].val);
            s->kv[mid].val = val;
            return;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    struct cr_kv *kv = cr_grow(s->kv, &s->capkv, s->nkv + 1, sizeof *kv);
    if (!kv) {
        free(key);
        free(val);
        return;
    }
    s->kv = kv;
    memmove(&kv[lo + 1], &kv[lo], (s->nkv - lo) * sizeof *kv);
    kv[lo] = (struct cr_kv){key, val};
    s->nkv++;
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    struct cr_state *s = fsm->data;
    const char *p = buf->base, *end = p + buf->len;
    *result = NULL;
    s->sm_ops++;
    if (buf->len > 4 && memcmp(p, "set ", 4) == 0) {
        const char *k = p + 4;
        const char *sp = memchr(k, ' ', (size_t)(end - k));
        if (sp && sp > k) {
            kv_set(s, k, (size_t)(sp - k), sp + 1, (size_t)(end - sp - 1));
            return 0;
        }
    }
    free(s->sm_other);
    s->sm_other = dup_n(p, buf->len);
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    return RAFT_INVALID; /* snapshots are off */
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    return RAFT_INVALID;
}

void cr_fsm_init(struct cr_state *s)
{
    s->fsm = (struct raft_fsm){.version = 1,
                               .data = s,
                               .apply = fsm_apply,
                               .snapshot = fsm_snapshot,
                               .restore = fsm_restore};
}

void cr_sm_free(struct cr_state *s)
{
    for (size_t i = 0; i < s->nkv; i++) {
        free(s->kv[i].key);
        free(s->kv[i].val);
    }
    free(s->kv);
    free(s->sm_other);
    s->kv = NULL;
    s->sm_other = NULL;
    s->nkv = s->capkv = 0;
}

/* ---- the snapshot ---- */

static int role_of(const struct cr_state *s)
{
    if (!s->running)
        return FL_RAFT_FOLLOWER;
    switch (s->raft.state) {
    case RAFT_LEADER:
        return FL_RAFT_LEADER;
    case RAFT_CANDIDATE:
        return FL_RAFT_CANDIDATE;
    default:
        return FL_RAFT_FOLLOWER;
    }
}

static const char *role_name(const struct cr_state *s)
{
    if (!s->running || s->raft.state == RAFT_UNAVAILABLE)
        return "unavailable";
    static const char *const names[] = {"follower", "candidate", "leader"};
    return names[role_of(s)];
}

static const char *type_name(uint16_t type)
{
    return type == RAFT_CHANGE ? "conf" : type == RAFT_BARRIER ? "barrier" : "normal";
}

static int put(struct cr_logtext *t, const char *p, size_t n)
{
    char *b = cr_grow(t->buf, &t->cap, t->len + n + 1, 1);
    if (!b)
        return -1;
    t->buf = b;
    memcpy(b + t->len, p, n);
    t->len += n;
    b[t->len] = '\0';
    return 0;
}

/* One entry as {"term":T,"index":I,"type":"normal","data":"..."}: bytes outside
 * printable ASCII, quotes and backslashes as \xNN, so the text is valid JSON as is. */
static int put_entry(struct cr_logtext *t, const struct cr_entry *e, uint64_t index)
{
    static const char hex[] = "0123456789abcdef";
    char head[96];
    int k =
        snprintf(head, sizeof head, "%s{\"term\":%llu,\"index\":%llu,\"type\":\"%s\",\"data\":\"",
                 index > 1 ? "," : "", (unsigned long long)e->term, (unsigned long long)index,
                 type_name(e->type));
    if (put(t, head, (size_t)k) != 0)
        return -1;
    char *b = cr_grow(t->buf, &t->cap, t->len + 5 * (size_t)e->len + 3, 1);
    if (!b)
        return -1;
    t->buf = b;
    for (uint32_t i = 0; i < e->len; i++) {
        unsigned char c = (unsigned char)e->data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
            b[t->len++] = (char)c;
        } else if (c == '"') {
            b[t->len++] = '\\';
            b[t->len++] = '"';
        } else { /* the text \xNN, its backslash escaped for JSON */
            char esc[5] = {'\\', '\\', 'x', hex[c >> 4], hex[c & 15]};
            memcpy(b + t->len, esc, 5);
            t->len += 5;
        }
    }
    return put(t, "\"}", 2);
}

/* The log as JSON text "[...]", from the cache; valid until the next call, NULL when
 * out of memory.  The cache is not state anyone can observe: it is filled through the
 * const node of snapshot(). */
static const char *log_text(struct cr_state *s)
{
    struct cr_logtext *t = &s->lt;
    uint64_t keep = 0, lim = t->n < s->last ? t->n : s->last;
    while (keep < lim && s->ents[keep].seq == t->seq[keep])
        keep++;
    if (t->cap == 0 && put(t, "[", 1) != 0) /* the opening bracket, once */
        return NULL;
    if (keep < t->n || s->last > keep)
        t->version++; /* entries cut or appended: the text moves */
    t->len = keep ? t->end[keep - 1] : 1;
    t->n = keep;
    size_t cap_seq = t->ncap, cap_end = t->ncap; /* both arrays have ncap elements */
    uint64_t *seq = cr_grow(t->seq, &cap_seq, s->last + 1, sizeof *seq);
    if (seq)
        t->seq = seq;
    size_t *end = seq ? cr_grow(t->end, &cap_end, s->last + 1, sizeof *end) : NULL;
    if (!end)
        return NULL;
    t->end = end;
    t->ncap = cap_seq < cap_end ? cap_seq : cap_end;
    for (uint64_t i = keep + 1; i <= s->last; i++) {
        if (put_entry(t, &s->ents[i - 1], i) != 0)
            return NULL;
        t->end[i - 1] = t->len;
        t->seq[i - 1] = s->ents[i - 1].seq;
        t->n = i;
    }
    size_t body = t->len;
    if (put(t, "]", 1) != 0)
        return NULL;
    t->len = body;
    return t->buf;
}

void cr_logtext_free(struct cr_state *s)
{
    free(s->lt.buf);
    free(s->lt.end);
    free(s->lt.seq);
    memset(&s->lt, 0, sizeof s->lt);
}

cJSON *cr_snapshot(const fl_node *n)
{
    const struct cr_state *s = fl_state_const(n);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    raft_id lead = 0;
    if (s->running && s->raft.state == RAFT_FOLLOWER)
        lead = s->raft.follower_state.current_leader.id;
    else if (s->running && s->raft.state == RAFT_LEADER)
        lead = s->raft.id;
    cJSON_AddStringToObject(o, "role", role_name(s));
    cJSON_AddNumberToObject(o, "term", (double)(s->running ? s->raft.current_term : s->term));
    cJSON_AddNumberToObject(o, "vote", (double)(s->running ? s->raft.voted_for : s->vote));
    cJSON_AddNumberToObject(o, "leader", (double)lead);
    cJSON_AddNumberToObject(o, "commit", (double)(s->running ? s->raft.commit_index : 0));
    cJSON_AddNumberToObject(o, "applied", (double)(s->running ? s->raft.last_applied : 0));
    cJSON_AddNumberToObject(o, "last_index", (double)s->last);
    cJSON_AddNumberToObject(o, "last_term", (double)(s->last ? s->ents[s->last - 1].term : 0));
    cJSON_AddNumberToObject(o, "stable", (double)s->stable);
    /* the cache by reference, with its version: recording skips it while unchanged */
    const char *log = log_text((struct cr_state *)s);
    cJSON *text = log ? fl_snapshot_text(log, s->lt.version) : NULL;
    if (text)
        cJSON_AddItemToObjectCS(o, "log", text);
    return o;
}

/* ---- the observer's view ---- */

static void view(const void *state, struct fl_raft_view *v)
{
    const struct cr_state *s = state;
    *v = (struct fl_raft_view){
        .role = role_of(s),
        .term = s->running ? s->raft.current_term : s->term,
        .commit = s->running ? s->raft.commit_index : 0,
        .last_index = s->last,
        .stable = s->stable,
        .started_ns = s->started_ns,
        .append_seq = s->append_seq,
    };
}

static void entry(const void *state, uint64_t index, struct fl_raft_entry *e)
{
    const struct cr_entry *c = &((const struct cr_state *)state)->ents[index - 1];
    *e = (struct fl_raft_entry){
        .term = c->term, .seq = c->seq, .type = c->type, .data = c->data, .len = c->len};
}

static int64_t election_ns(const cJSON *params)
{
    struct cr_params p;
    char err[256];
    if (cr_params_parse(params, &p, err, sizeof err) != 0)
        cr_params_parse(NULL, &p, err, sizeof err);
    return (int64_t)p.election_ms * FL_MS;
}

const struct fl_raft_adapter cr_raft_adapter = {
    .view = view, .entry = entry, .election_ns = election_ns};

static struct cr_obs *obs_of(const fl_cluster *c, void *observer)
{
    struct cr_obs *o = observer;
    if (!o->inited) {
        struct cr_params p;
        char err[256];
        if (cr_params_parse(fl_cluster_params(c), &p, err, sizeof err) != 0)
            cr_params_parse(NULL, &p, err, sizeof err);
        o->checks = p.checks;
        o->inited = 1;
    }
    return o;
}

int cr_check(const fl_cluster *c, void *observer, int node, fl_violation *v)
{
    struct cr_obs *o = obs_of(c, observer);
    return o->checks ? fl_raft_check(c, o->raft, node, &cr_raft_adapter, v) : 0;
}

int cr_check_end(const fl_cluster *c, void *observer, fl_violation *v)
{
    struct cr_obs *o = obs_of(c, observer);
    return o->checks ? fl_raft_check_end(c, o->raft, &cr_raft_adapter, v) : 0;
}

void cr_report(const fl_cluster *c, void *observer)
{
    fl_raft_report(c, ((struct cr_obs *)observer)->raft);
}

void cr_observer_free(void *observer)
{
    fl_raft_observer_free(((struct cr_obs *)observer)->raft);
}

/*
 * etcd_view.c -- what an etcd-raft node shows: the snapshot JSON with exactly our Raft's
 * keys (role, term, vote, leader, commit, applied, last_index, last_term, log; see
 * docs/raft.md, "The state snapshot"), and the Raft observer's view of the mirror
 * (fl_raft_check: the same invariants and liveness as our Raft).
 *
 * Log entries show as our Raft's do: a configuration entry is "conf" with data "add 2"
 * (etcd's ConfChange decoded), any other "normal" with its bytes as text (\xNN outside
 * printable ASCII).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/etcd-raft/etcd.h"

static const char *const role_names[] = {"follower", "candidate", "leader"};

/* Append to the state's text buffer; -1 when out of memory. */
static int put(struct et_state *s, size_t *len, const char *p, size_t n)
{
    if (*len + n + 1 > s->logtext_cap) {
        size_t ncap = s->logtext_cap ? s->logtext_cap * 2 : 1024;
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *b = realloc(s->logtext, ncap);
        if (!b)
            return -1;
        s->logtext = b;
        s->logtext_cap = ncap;
    }
    memcpy(s->logtext + *len, p, n);
    *len += n;
    s->logtext[*len] = '\0';
    return 0;
}

/* etcd's ConfChange bytes (type field 2, node id field 3) as "add 2". */
static void conf_text(const struct et_entry *e, char *out, size_t cap)
{
    static const char *const kinds[] = {"add", "remove", "update", "add-learner"};
    uint64_t f[4] = {0, 0, 0, 0};
    const uint8_t *p = (const uint8_t *)e->data;
    for (uint32_t off = 0; off < e->len;) {
        uint64_t key = p[off++], v = 0;
        for (int shift = 0; off < e->len && shift < 64; shift += 7) {
            uint8_t b = p[off++];
            v |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
        }
        if ((key & 7) != 0)
            break;
        if ((key >> 3) < 4)
            f[key >> 3] = v;
    }
    snprintf(out, cap, "%s %llu", f[2] < 4 ? kinds[f[2]] : "change", (unsigned long long)f[3]);
}

/* A client entry as our Raft shows it: "op 7 from 2: write 3" (the key and value cut at
 * 64 and 200 bytes; backslashes and bytes outside printable ASCII as \xNN, as our Raft does). */
static int client_text(struct et_state *s, size_t *len, uint64_t op_id, int origin,
                       const fl_client_op *op)
{
    static const char *const f_names[] = {"?", "read", "write", "cas", "get", "put", "append"};
    char raw[400], esc[1600];
    int k = (int)(op->key_len < 64 ? op->key_len : 64),
        v = (int)(op->value_len < 200 ? op->value_len : 200);
    if (op->f == FL_CLIENT_WRITE)
        snprintf(raw, sizeof raw, "op %llu from %d: write %lld", (unsigned long long)op_id, origin,
                 (long long)op->a);
    else if (op->f == FL_CLIENT_CAS)
        snprintf(raw, sizeof raw, "op %llu from %d: cas %lld -> %lld", (unsigned long long)op_id,
                 origin, (long long)op->a, (long long)op->b);
    else
        snprintf(raw, sizeof raw, "op %llu from %d: %s%s%.*s%s%.*s", (unsigned long long)op_id,
                 origin, f_names[op->f], k ? " " : "", k, op->key, v ? " " : "", v, op->value);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p && o + 6 < sizeof esc; p++)
        if (*p == '"')
            esc[o++] = '\\', esc[o++] = '"';
        else if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            esc[o++] = (char)*p;
        else
            o += (size_t)snprintf(esc + o, sizeof esc - o, "\\\\x%02x", *p);
    return put(s, len, esc, o);
}

static const char *type_name(const struct et_entry *e)
{
    uint64_t op_id;
    int origin;
    fl_client_op op;
    if (e->type != ET_ENTRY_NORMAL)
        return "conf";
    return et_client_decode(e->data, e->len, &op_id, &origin, &op) == 0 ? "client" : "normal";
}

static int entry_text(struct et_state *s, size_t *len, uint64_t index)
{
    const struct et_entry *e = &s->ents[index - 1];
    char head[96], conf[48];
    int rc = put(s, len, head,
                 (size_t)snprintf(head, sizeof head,
                                  "%s{\"term\":%llu,\"index\":%llu,\"type\":\"%s\","
                                  "\"data\":\"",
                                  index > 1 ? "," : "", (unsigned long long)e->term,
                                  (unsigned long long)index, type_name(e)));
    uint64_t op_id;
    int origin;
    fl_client_op op;
    if (e->type != ET_ENTRY_NORMAL) {
        conf_text(e, conf, sizeof conf);
        rc |= put(s, len, conf, strlen(conf));
    } else if (et_client_decode(e->data, e->len, &op_id, &origin, &op) == 0) {
        rc |= client_text(s, len, op_id, origin, &op);
    } else {
        for (uint32_t i = 0; i < e->len && rc == 0; i++) {
            unsigned char c = (unsigned char)e->data[i];
            char x[8];
            if (c == '"')
                rc |= put(s, len, "\\\"", 2);
            else if (c >= 0x20 && c < 0x7f && c != '\\')
                rc |= put(s, len, (const char *)&c, 1);
            else
                rc |= put(s, len, x, (size_t)snprintf(x, sizeof x, "\\\\x%02x", c));
        }
    }
    return rc | put(s, len, "\"}", 2);
}

static void add_number(cJSON *o, const char *key, double v)
{
    cJSON_AddItemToObjectCS(o, key, cJSON_CreateNumber(v));
}

cJSON *et_snapshot(const fl_node *n)
{
    struct et_state *s = (struct et_state *)fl_state_const(n); /* the text cache only */
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddItemToObjectCS(o, "role", cJSON_CreateStringReference(role_names[s->role]));
    add_number(o, "term", (double)s->term);
    add_number(o, "vote", (double)s->vote);
    add_number(o, "leader", (double)s->lead);
    add_number(o, "commit", (double)s->commit);
    add_number(o, "applied", (double)s->applied);
    add_number(o, "last_index", (double)s->last);
    add_number(o, "last_term", (double)(s->last ? s->ents[s->last - 1].term : 0));
    /* The log's text is rebuilt only when the mirror log changed, and recorded by
     * reference with its version. */
    int rc = 0;
    if (s->logtext_version != s->log_version + 1) {
        size_t len = 0;
        rc = put(s, &len, "[", 1);
        for (uint64_t i = 1; i <= s->last && rc == 0; i++)
            rc = entry_text(s, &len, i);
        rc = rc ? rc : put(s, &len, "]", 1);
        s->logtext_version = rc == 0 ? s->log_version + 1 : 0;
    }
    cJSON *text = rc == 0 ? fl_snapshot_text(s->logtext, s->log_version) : NULL;
    if (text)
        cJSON_AddItemToObjectCS(o, "log", text);
    if (s->client_ops) { /* only with clients, as our Raft shows them */
        add_number(o, "client_ops", (double)s->client_ops);
        if (s->reg_set)
            add_number(o, "register", (double)s->reg);
    }
    return o;
}

/* ---- the observer ---- */

static void view(const void *state, struct fl_raft_view *v)
{
    const struct et_state *s = state;
    *v = (struct fl_raft_view){.role = s->role,
                               .term = s->term,
                               .commit = s->commit,
                               .last_index = s->last,
                               .stable = s->stable,
                               .started_ns = s->started_ns,
                               .append_seq = s->append_seq};
}

static void entry(const void *state, uint64_t index, struct fl_raft_entry *e)
{
    const struct et_entry *f = &((const struct et_state *)state)->ents[index - 1];
    *e = (struct fl_raft_entry){
        .term = f->term, .seq = f->seq, .type = f->type, .data = f->data, .len = f->len};
}

static int64_t election_ns(const cJSON *params)
{
    struct et_params p;
    char err[256];
    if (et_params_parse(params, &p, err, sizeof err) != 0)
        et_params_parse(NULL, &p, err, sizeof err);
    return p.election_ns;
}

static const struct fl_raft_adapter et_adapter = {
    .view = view, .entry = entry, .election_ns = election_ns};

int et_check(const fl_cluster *c, void *observer, int node, fl_violation *v)
{
    return fl_raft_check(c, observer, node, &et_adapter, v);
}

int et_check_end(const fl_cluster *c, void *observer, fl_violation *v)
{
    return fl_raft_check_end(c, observer, &et_adapter, v);
}

/*
 * craft_msg.c -- libraft's messages on faultline's wire: encode, decode, describe.
 *
 * A message is its type byte (libraft's RAFT_IO_* code, or CR_MSG_PROPOSE for a client
 * op forwarded to the leader) and little-endian fields in the order of libraft's
 * structs; an AppendEntries carries its entries as {term, type, len, data}.  The
 * sender is the soup's `from`, so it is not encoded.
 *
 * libraft 0.15 puts every entry after next_index into one AppendEntries, which for a
 * far-behind follower would exceed FL_MAX_MSG_BYTES: the encoder cuts the entries at
 * params.max_entries_per_msg and CR_MAX_MSG_PAYLOAD bytes.  That is safe: the follower
 * answers with the last index it stored, and the leader resends from there.
 *
 * InstallSnapshot is never sent (snapshots are off); one that arrives is malformed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/canonical-raft/craft.h"

struct wr {
    uint8_t *p;
    size_t n;
};

static void w8(struct wr *w, uint8_t v)
{
    w->p[w->n++] = v;
}
static void w64(struct wr *w, uint64_t v)
{
    memcpy(w->p + w->n, &v, 8);
    w->n += 8;
}
static void w32(struct wr *w, uint32_t v)
{
    memcpy(w->p + w->n, &v, 4);
    w->n += 4;
}

struct rd {
    const uint8_t *p;
    size_t n, at;
    int bad;
};

static uint64_t r64(struct rd *r)
{
    uint64_t v = 0;
    if (r->n - r->at < 8) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p + r->at, 8);
    r->at += 8;
    return v;
}
static uint32_t r32(struct rd *r)
{
    uint32_t v = 0;
    if (r->n - r->at < 4) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p + r->at, 4);
    r->at += 4;
    return v;
}
static uint8_t r8(struct rd *r)
{
    if (r->at >= r->n) {
        r->bad = 1;
        return 0;
    }
    return r->p[r->at++];
}

#define ENTRY_HEADER 14 /* term 8, type 2, len 4 */
#define MSG_HEADER 64   /* more than any fixed part */

/* How many of the entries fit one message. */
static unsigned entries_that_fit(const struct raft_append_entries *ae, unsigned max_entries)
{
    size_t bytes = 0;
    unsigned k = 0;
    while (k < ae->n_entries && k < max_entries) {
        bytes += ae->entries[k].buf.len;
        if (k > 0 && bytes > CR_MAX_MSG_PAYLOAD)
            break;
        k++;
    }
    return k;
}

static size_t encode_append(struct cr_state *s, const struct raft_append_entries *ae,
                            unsigned max_entries)
{
    unsigned k = entries_that_fit(ae, max_entries);
    size_t need = MSG_HEADER;
    for (unsigned i = 0; i < k; i++)
        need += ENTRY_HEADER + ae->entries[i].buf.len;
    uint8_t *b = cr_grow(s->mbuf, &s->mcap, need, 1);
    if (!b || need > FL_MAX_MSG_BYTES)
        return 0;
    s->mbuf = b;
    struct wr w = {b, 0};
    w8(&w, RAFT_IO_APPEND_ENTRIES);
    w64(&w, ae->term);
    w64(&w, ae->prev_log_index);
    w64(&w, ae->prev_log_term);
    w64(&w, ae->leader_commit);
    w32(&w, k);
    for (unsigned i = 0; i < k; i++) {
        const struct raft_entry *e = &ae->entries[i];
        w64(&w, e->term);
        w8(&w, (uint8_t)(e->type & 0xff));
        w8(&w, (uint8_t)(e->type >> 8));
        w32(&w, (uint32_t)e->buf.len);
        if (e->buf.len)
            memcpy(w.p + w.n, e->buf.base, e->buf.len);
        w.n += e->buf.len;
    }
    return w.n;
}

size_t cr_msg_encode(struct cr_state *s, const struct raft_message *m, unsigned max_entries)
{
    if (m->type == RAFT_IO_APPEND_ENTRIES)
        return encode_append(s, &m->append_entries, max_entries);
    uint8_t *b = cr_grow(s->mbuf, &s->mcap, MSG_HEADER, 1);
    if (!b)
        return 0;
    s->mbuf = b;
    struct wr w = {b, 0};
    w8(&w, (uint8_t)m->type);
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE: {
        const struct raft_request_vote *v = &m->request_vote;
        w64(&w, v->term);
        w64(&w, v->candidate_id);
        w64(&w, v->last_log_index);
        w64(&w, v->last_log_term);
        w8(&w, (uint8_t)(v->disrupt_leader | v->pre_vote << 1));
        return w.n;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
        const struct raft_request_vote_result *v = &m->request_vote_result;
        w64(&w, v->term);
        w8(&w, v->vote_granted);
        w8(&w, (uint8_t)v->pre_vote);
        return w.n;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
        const struct raft_append_entries_result *a = &m->append_entries_result;
        w64(&w, a->term);
        w64(&w, a->rejected);
        w64(&w, a->last_log_index);
        return w.n;
    }
    case RAFT_IO_TIMEOUT_NOW: {
        const struct raft_timeout_now *t = &m->timeout_now;
        w64(&w, t->term);
        w64(&w, t->last_log_index);
        w64(&w, t->last_log_term);
        return w.n;
    }
    default:
        return 0; /* InstallSnapshot: snapshots are off */
    }
}

size_t cr_msg_encode_propose(struct cr_state *s, unsigned hops, const void *op, size_t len)
{
    uint8_t *b = cr_grow(s->mbuf, &s->mcap, 8 + len, 1);
    if (!b)
        return 0;
    s->mbuf = b;
    struct wr w = {b, 0};
    w8(&w, CR_MSG_PROPOSE);
    w8(&w, (uint8_t)hops);
    w32(&w, (uint32_t)len);
    memcpy(w.p + w.n, op, len);
    return w.n + len;
}

/* The entries of an AppendEntries at r: validated, and when s is given, copied into
 * one batch as libraft's entryBatchesDestroy expects (every entry's batch set). */
static int decode_entries(struct cr_state *s, struct rd *r, struct raft_append_entries *ae)
{
    uint32_t n = r32(r);
    size_t start = r->at, total = 0;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        r64(r);
        r8(r);
        r8(r);
        uint32_t len = r32(r);
        if (r->bad || r->n - r->at < len)
            return -1;
        r->at += len;
        total += len;
    }
    if (r->bad || r->at != r->n)
        return -1;
    ae->n_entries = n;
    ae->entries = NULL;
    if (!s || n == 0)
        return 0;
    ae->entries = raft_calloc(n, sizeof *ae->entries);
    uint8_t *batch = raft_malloc(total ? total : 1);
    if (!ae->entries || !batch) {
        raft_free(ae->entries);
        raft_free(batch);
        return -1;
    }
    r->at = start;
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct raft_entry *e = &ae->entries[i];
        e->term = r64(r);
        e->type = r8(r);
        e->type = (unsigned short)(e->type | r8(r) << 8);
        e->buf.len = r32(r);
        e->buf.base = batch + o;
        e->batch = batch;
        memcpy(batch + o, r->p + r->at, e->buf.len);
        r->at += e->buf.len;
        o += e->buf.len;
    }
    return 0;
}

static int decode_body(struct cr_state *s, struct rd *r, struct raft_message *m)
{
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE: {
        struct raft_request_vote *v = &m->request_vote;
        v->term = r64(r);
        v->candidate_id = r64(r);
        v->last_log_index = r64(r);
        v->last_log_term = r64(r);
        uint8_t f = r8(r);
        v->disrupt_leader = f & 1;
        v->pre_vote = (f >> 1) & 1;
        break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
        struct raft_request_vote_result *v = &m->request_vote_result;
        v->term = r64(r);
        v->vote_granted = r8(r) != 0;
        uint8_t pv = r8(r);
        if (pv > raft_tribool_false)
            return -1;
        v->pre_vote = (raft_tribool)pv;
        break;
    }
    case RAFT_IO_APPEND_ENTRIES: {
        struct raft_append_entries *ae = &m->append_entries;
        ae->term = r64(r);
        ae->prev_log_index = r64(r);
        ae->prev_log_term = r64(r);
        ae->leader_commit = r64(r);
        return r->bad ? -1 : decode_entries(s, r, ae);
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
        struct raft_append_entries_result *a = &m->append_entries_result;
        a->term = r64(r);
        a->rejected = r64(r);
        a->last_log_index = r64(r);
        break;
    }
    case RAFT_IO_TIMEOUT_NOW: {
        struct raft_timeout_now *t = &m->timeout_now;
        t->term = r64(r);
        t->last_log_index = r64(r);
        t->last_log_term = r64(r);
        break;
    }
    default:
        return -1;
    }
    return r->bad || r->at != r->n ? -1 : 0;
}

int cr_msg_decode(struct cr_state *s, int from, const void *buf, size_t len, struct raft_message *m,
                  unsigned *hops, const void **op, size_t *oplen)
{
    struct rd r = {buf, len, 0, 0};
    memset(m, 0, sizeof *m);
    m->type = r8(&r);
    if (r.bad)
        return -1;
    if (m->type == CR_MSG_PROPOSE) {
        *hops = r8(&r);
        *oplen = r32(&r);
        if (r.bad || r.n - r.at != *oplen || *oplen > CR_MAX_ENTRY_BYTES)
            return -1;
        *op = r.p + r.at;
        return 1;
    }
    if (decode_body(s, &r, m) != 0)
        return -1;
    m->server_id = (raft_id)from;
    m->server_address = s ? cr_addr(s, from) : NULL;
    return 0;
}

static const char *result_pre_vote(raft_tribool t)
{
    return t == raft_tribool_true ? " prevote" : "";
}

const char *cr_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    struct raft_message m;
    unsigned hops = 0;
    const void *op = NULL;
    size_t oplen = 0;
    int rc = cr_msg_decode(NULL, 0, msg, len, &m, &hops, &op, &oplen);
    if (rc < 0) {
        snprintf(buf, cap, "Invalid len=%zu", len);
        return buf;
    }
    if (rc == 1) {
        snprintf(buf, cap, "Propose hops=%u op=%.*s", hops, (int)(oplen < 64 ? oplen : 64),
                 (const char *)op);
        return buf;
    }
    switch (m.type) {
    case RAFT_IO_REQUEST_VOTE:
        snprintf(buf, cap, "RequestVote term=%llu last=%llu/%llu%s%s", m.request_vote.term,
                 m.request_vote.last_log_index, m.request_vote.last_log_term,
                 m.request_vote.pre_vote ? " prevote" : "",
                 m.request_vote.disrupt_leader ? " disrupt" : "");
        break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        snprintf(buf, cap, "RequestVoteResult term=%llu granted=%d%s", m.request_vote_result.term,
                 m.request_vote_result.vote_granted,
                 result_pre_vote(m.request_vote_result.pre_vote));
        break;
    case RAFT_IO_APPEND_ENTRIES:
        snprintf(buf, cap, "AppendEntries term=%llu prev=%llu/%llu n=%u commit=%llu",
                 m.append_entries.term, m.append_entries.prev_log_index,
                 m.append_entries.prev_log_term, m.append_entries.n_entries,
                 m.append_entries.leader_commit);
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        snprintf(buf, cap, "AppendEntriesResult term=%llu rejected=%llu last=%llu",
                 m.append_entries_result.term, m.append_entries_result.rejected,
                 m.append_entries_result.last_log_index);
        break;
    default:
        snprintf(buf, cap, "TimeoutNow term=%llu last=%llu/%llu", m.timeout_now.term,
                 m.timeout_now.last_log_index, m.timeout_now.last_log_term);
        break;
    }
    return buf;
}

/*
 * raft_msg.c -- the wire format of Raft messages: encode, decode, describe.
 *
 * A message is a fixed 48-byte header followed by `nent` entries, all little-endian:
 *
 *   0 u8 type      1 u8 reject    2 u8 hops     3 u8 version (1)    4 u32 nent
 *   8 u64 term    16 u64 index   24 u64 logterm 32 u64 commit      40 u64 hint
 *   entry: 0 u64 term  8 u8 type  9..11 zero  12 u32 len  16 data[len]
 *
 * Decoding trusts nothing: a message whose lengths, type or version do not add up is
 * refused as a whole (the receiver logs and drops it), so no handler ever sees a
 * partial message.  The encoding is the digest's input, so it must be deterministic:
 * padding bytes are always zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

#define FR_WIRE_VERSION 1

static const char *const type_names[FR_MSG_TYPE_END] = {
    "MsgInvalid", "MsgVote",      "MsgVoteResp",      "MsgApp",
    "MsgAppResp", "MsgHeartbeat", "MsgHeartbeatResp", "MsgProp"};

const char *fr_msg_type_name(int type)
{
    return type > 0 && type < FR_MSG_TYPE_END ? type_names[type] : "MsgInvalid";
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

size_t fr_msg_entry_encode(uint8_t *p, uint64_t term, int type, const void *data, uint32_t len)
{
    put64(p, term);
    p[8] = (uint8_t)type;
    p[9] = p[10] = p[11] = 0;
    put32(p + 12, len);
    if (len)
        memcpy(p + FR_MSG_ENTRY_HEADER, data, len);
    return FR_MSG_ENTRY_HEADER + (size_t)len;
}

static uint8_t *reserve(struct fr_state *s, size_t need)
{
    if (need > s->mcap) {
        size_t ncap = s->mcap ? s->mcap : 256;
        while (ncap < need)
            ncap *= 2;
        uint8_t *p = realloc(s->mbuf, ncap);
        if (!p)
            return NULL;
        s->mbuf = p;
        s->mcap = ncap;
    }
    return s->mbuf;
}

/* Bytes the entries of m take: raw ones as given, or log entries index+1 .. index+nent. */
static size_t entries_size(const struct fr_state *s, const struct fr_msg *m)
{
    if (m->ents)
        return m->ents_len;
    size_t total = 0;
    for (uint64_t i = m->index + 1; i <= m->index + m->nent; i++)
        total += FR_MSG_ENTRY_HEADER + s->ents[i - 1].len;
    return total;
}

size_t fr_msg_encode(struct fr_state *s, const struct fr_msg *m)
{
    size_t len = FR_MSG_HEADER + entries_size(s, m);
    uint8_t *p = reserve(s, len);
    if (!p || len > FL_MAX_MSG_BYTES)
        return 0;
    p[0] = m->type;
    p[1] = m->reject;
    p[2] = m->hops;
    p[3] = FR_WIRE_VERSION;
    put32(p + 4, m->nent);
    put64(p + 8, m->term);
    put64(p + 16, m->index);
    put64(p + 24, m->logterm);
    put64(p + 32, m->commit);
    put64(p + 40, m->hint);
    uint8_t *q = p + FR_MSG_HEADER;
    if (m->ents) {
        memcpy(q, m->ents, m->ents_len);
        return len;
    }
    for (uint64_t i = m->index + 1; i <= m->index + m->nent; i++) {
        const struct fr_entry *e = &s->ents[i - 1];
        q += fr_msg_entry_encode(q, e->term, e->type, e->data, e->len);
    }
    return len;
}

/* Check the entries area: exactly nent well-formed entries, nothing after them. */
static int check_entries(const uint8_t *p, size_t len, uint32_t nent)
{
    size_t off = 0;
    for (uint32_t i = 0; i < nent; i++) {
        if (len - off < FR_MSG_ENTRY_HEADER)
            return -1;
        uint32_t elen = get32(p + off + 12);
        uint8_t type = p[off + 8];
        if (elen > FR_MAX_ENTRY_BYTES || type > FR_ENTRY_CLIENT)
            return -1;
        if (p[off + 9] || p[off + 10] || p[off + 11])
            return -1;
        off += FR_MSG_ENTRY_HEADER;
        if (len - off < elen)
            return -1;
        off += elen;
    }
    return off == len ? 0 : -1;
}

int fr_msg_decode(const void *buf, size_t len, struct fr_msg *m)
{
    const uint8_t *p = buf;
    memset(m, 0, sizeof *m);
    if (!buf || len < FR_MSG_HEADER || p[3] != FR_WIRE_VERSION)
        return -1;
    m->type = p[0];
    m->reject = p[1];
    m->hops = p[2];
    m->nent = get32(p + 4);
    if (m->type == 0 || m->type >= FR_MSG_TYPE_END || m->reject > 1)
        return -1;
    m->term = get64(p + 8);
    m->index = get64(p + 16);
    m->logterm = get64(p + 24);
    m->commit = get64(p + 32);
    m->hint = get64(p + 40);
    int may_carry = m->type == FR_MSG_APP || m->type == FR_MSG_PROP;
    if ((!may_carry && m->nent) || (m->type == FR_MSG_PROP && m->nent == 0))
        return -1;
    if (m->nent > (len - FR_MSG_HEADER) / FR_MSG_ENTRY_HEADER)
        return -1;
    /* Indexes beyond any log could overflow index + nent in the handlers. */
    if (m->index > FR_MAX_LOG * 4 || m->hint > FR_MAX_LOG * 4)
        return -1;
    m->ents = p + FR_MSG_HEADER;
    m->ents_len = len - FR_MSG_HEADER;
    return check_entries(m->ents, m->ents_len, m->nent);
}

void fr_msg_entry_next(const struct fr_msg *m, size_t *pos, struct fr_msg_entry *e)
{
    const uint8_t *p = m->ents + *pos;
    e->term = get64(p);
    e->type = p[8];
    e->len = get32(p + 12);
    e->data = (const char *)p + FR_MSG_ENTRY_HEADER;
    *pos += FR_MSG_ENTRY_HEADER + e->len;
}

const char *fr_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    struct fr_msg m;
    if (fr_msg_decode(msg, len, &m) != 0) {
        snprintf(buf, cap, "MsgInvalid len=%zu", len);
        return buf;
    }
    const char *t = fr_msg_type_name(m.type);
    unsigned long long term = m.term, idx = m.index, lt = m.logterm, c = m.commit;
    switch (m.type) {
    case FR_MSG_VOTE:
        snprintf(buf, cap, "%s term=%llu lastlog=%llu/%llu", t, term, lt, idx);
        break;
    case FR_MSG_VOTE_RESP:
        snprintf(buf, cap, "%s term=%llu%s", t, term, m.reject ? " reject" : "");
        break;
    case FR_MSG_APP:
        snprintf(buf, cap, "%s term=%llu index=%llu logterm=%llu entries=%u commit=%llu", t, term,
                 idx, lt, m.nent, c);
        break;
    case FR_MSG_APP_RESP:
        if (m.reject)
            snprintf(buf, cap, "%s term=%llu reject hint=%llu logterm=%llu index=%llu", t, term,
                     (unsigned long long)m.hint, lt, idx);
        else
            snprintf(buf, cap, "%s term=%llu index=%llu", t, term, idx);
        break;
    case FR_MSG_HEARTBEAT:
        snprintf(buf, cap, "%s term=%llu commit=%llu", t, term, c);
        break;
    case FR_MSG_HEARTBEAT_RESP:
        snprintf(buf, cap, "%s term=%llu", t, term);
        break;
    default:
        snprintf(buf, cap, "%s entries=%u", t, m.nent);
        break;
    }
    return buf;
}

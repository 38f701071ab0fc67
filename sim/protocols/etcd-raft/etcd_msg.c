/*
 * etcd_msg.c -- describing a message: the bytes on the simulated wire are etcd's own
 * raftpb.Message as Marshal gives them (protobuf), and the description is in our Raft's
 * format (docs/raft.md, "Messages"), so that traces and scripts' "type" read the same
 * for both protocols:
 *
 *   MsgVote term=10 lastlog=9/11          MsgApp term=11 index=12 logterm=10 entries=1 commit=12
 *
 * A tiny protobuf reader: raftpb.Message's fields are varints (type 1, to 2, from 3,
 * term 4, logTerm 5, index 6, commit 8, reject 10, rejectHint 11) and length-delimited
 * ones (entries 7, snapshot 9, context 12); anything else, or a length past the end,
 * is not a message.
 */
#include <stdio.h>

#include "sim/protocols/etcd-raft/etcd.h"

static const char *const type_names[] = {
    "MsgHup",           "MsgBeat",           "MsgProp",        "MsgApp",
    "MsgAppResp",       "MsgVote",           "MsgVoteResp",    "MsgSnap",
    "MsgHeartbeat",     "MsgHeartbeatResp",  "MsgUnreachable", "MsgSnapStatus",
    "MsgCheckQuorum",   "MsgTransferLeader", "MsgTimeoutNow",  "MsgReadIndex",
    "MsgReadIndexResp", "MsgPreVote",        "MsgPreVoteResp"};

struct pmsg {
    uint64_t f[13]; /* varint fields by number */
    unsigned nent;
};

static int varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*off >= len)
            return -1;
        uint8_t b = p[(*off)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

static int parse(const uint8_t *p, size_t len, struct pmsg *m)
{
    size_t off = 0;
    *m = (struct pmsg){{0}, 0};
    while (off < len) {
        uint64_t key, v;
        if (varint(p, len, &off, &key) != 0)
            return -1;
        uint64_t field = key >> 3, wire = key & 7;
        if (wire == 0) {
            if (varint(p, len, &off, &v) != 0)
                return -1;
            if (field < 13)
                m->f[field] = v;
        } else if (wire == 2) {
            if (varint(p, len, &off, &v) != 0 || v > len - off)
                return -1;
            off += v;
            m->nent += field == 7;
        } else {
            return -1;
        }
    }
    return 0;
}

const char *et_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    struct pmsg m;
    if (parse(msg, len, &m) != 0 || m.f[1] >= sizeof type_names / sizeof type_names[0]) {
        snprintf(buf, cap, "MsgInvalid len=%zu", len);
        return buf;
    }
    const char *t = type_names[m.f[1]];
    unsigned long long term = m.f[4], lt = m.f[5], idx = m.f[6], commit = m.f[8];
    switch (m.f[1]) {
    case 5:  /* MsgVote */
    case 17: /* MsgPreVote */
        snprintf(buf, cap, "%s term=%llu lastlog=%llu/%llu", t, term, lt, idx);
        break;
    case 6:
    case 18:
        snprintf(buf, cap, "%s term=%llu%s", t, term, m.f[10] ? " reject" : "");
        break;
    case 3:
        snprintf(buf, cap, "%s term=%llu index=%llu logterm=%llu entries=%u commit=%llu", t, term,
                 idx, lt, m.nent, commit);
        break;
    case 4:
        if (m.f[10])
            snprintf(buf, cap, "%s term=%llu reject hint=%llu logterm=%llu index=%llu", t, term,
                     (unsigned long long)m.f[11], lt, idx);
        else
            snprintf(buf, cap, "%s term=%llu index=%llu", t, term, idx);
        break;
    case 8:
        snprintf(buf, cap, "%s term=%llu commit=%llu", t, term, commit);
        break;
    case 2:
        snprintf(buf, cap, "%s entries=%u", t, m.nent);
        break;
    default:
        snprintf(buf, cap, "%s term=%llu", t, term);
        break;
    }
    return buf;
}

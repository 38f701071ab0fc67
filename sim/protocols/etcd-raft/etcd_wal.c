/*
 * etcd_wal.c -- what etcd persisted, on the simulated disk: file 0 is a write-ahead log
 * in our Raft's record format (docs/raft.md, "Durability: the WAL"):
 *
 *   u32 len | u32 crc | u8 type | body      (little-endian; crc = CRC-32C over type and
 *                                            body, chained from the previous record's)
 *   type 1 hard state: u64 term, u32 vote, u64 commit
 *   type 2 entry:      u64 index, u64 term, u8 type (etcd's EntryType), u32 len, data
 *
 * etcd's raft.Storage is a MemoryStorage that the Go half fills from this file at every
 * start.  An entry at an index the log already holds cuts the log there (etcd's
 * MemoryStorage.Append does the same).  Replay stops at the first record that is
 * short, oversized, fails its crc or leaves an index gap: that torn or lost tail is cut
 * and never trusted.  The mirror log (struct et_state.ents) is the WAL's content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/etcd-raft/etcd.h"

enum { WAL_HARD_STATE = 1, WAL_ENTRY = 2 };
#define WAL_HEADER 9
#define WAL_HS_BODY 20
#define WAL_ENTRY_BODY 21

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (UINT32_C(0x82f63b78) & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- the mirror log ---- */

int et_log_put(struct et_state *s, uint64_t index, uint64_t term, int type, const void *data,
               uint32_t len)
{
    if (index == 0 || index > s->last + 1)
        return -1;
    s->log_version++;        /* the snapshot's log text (etcd_view.c) is rebuilt */
    while (s->last >= index) /* a conflicting suffix: cut */
        free(s->ents[--s->last].data);
    if (s->stable > index - 1)
        s->stable = index - 1;
    for (int i = 0; i < s->nsyncs; i++)
        if (s->syncs[i].last > index - 1)
            s->syncs[i].last = index - 1;
    if (s->last == s->cap) {
        uint64_t ncap = s->cap ? s->cap * 2 : 64;
        struct et_entry *e = realloc(s->ents, ncap * sizeof *e);
        if (!e)
            return -1;
        s->ents = e;
        s->cap = ncap;
    }
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, data, len);
    s->ents[s->last++] = (struct et_entry){
        .term = term, .seq = ++s->append_seq, .type = type, .len = len, .data = copy};
    return 0;
}

void et_log_free(struct et_state *s)
{
    for (uint64_t i = 0; i < s->last; i++)
        free(s->ents[i].data);
    free(s->ents);
    s->ents = NULL;
    s->last = s->cap = 0;
}

/* ---- writing ---- */

static void wal_write(fl_node *n, struct et_state *s, uint8_t *rec, int type, uint32_t len)
{
    put32(rec, len);
    rec[8] = (uint8_t)type;
    s->wal_crc = crc32c(s->wal_crc, rec + 8, 1 + (size_t)len);
    put32(rec + 4, s->wal_crc);
    if (fl_disk_append(n, ET_WAL_FILE, rec, WAL_HEADER + (size_t)len) != 0)
        fl_log(n, FL_LOG_WARN, "%d WAL append failed (%u bytes)", s->id, WAL_HEADER + len);
    s->wrote = 1;
}

void et_wal_hard_state(fl_node *n, struct et_state *s, uint64_t term, uint64_t vote,
                       uint64_t commit)
{
    uint8_t rec[WAL_HEADER + WAL_HS_BODY];
    put64(rec + WAL_HEADER, term);
    put32(rec + WAL_HEADER + 8, (uint32_t)vote);
    put64(rec + WAL_HEADER + 12, commit);
    wal_write(n, s, rec, WAL_HARD_STATE, WAL_HS_BODY);
}

void et_wal_entry(fl_node *n, struct et_state *s, uint64_t index, const struct et_entry *e)
{
    uint8_t *rec = malloc(WAL_HEADER + WAL_ENTRY_BODY + (size_t)e->len);
    if (!rec) {
        fl_log(n, FL_LOG_WARN, "%d WAL: out of memory", s->id);
        return;
    }
    uint8_t *b = rec + WAL_HEADER;
    put64(b, index);
    put64(b + 8, e->term);
    b[16] = (uint8_t)e->type;
    put32(b + 17, e->len);
    if (e->len)
        memcpy(b + WAL_ENTRY_BODY, e->data, e->len);
    wal_write(n, s, rec, WAL_ENTRY, WAL_ENTRY_BODY + e->len);
    free(rec);
}

/* ---- replay ---- */

static int replay_record(struct et_state *s, int type, const uint8_t *b, uint32_t len,
                         uint64_t hs[3])
{
    if (type == WAL_HARD_STATE && len == WAL_HS_BODY) {
        hs[0] = get64(b);
        hs[1] = get32(b + 8);
        hs[2] = get64(b + 12);
        return 0;
    }
    if (type != WAL_ENTRY || len < WAL_ENTRY_BODY || get32(b + 17) != len - WAL_ENTRY_BODY)
        return -1;
    return et_log_put(s, get64(b), get64(b + 8), b[16], b + WAL_ENTRY_BODY, len - WAL_ENTRY_BODY);
}

/* Replay the records of buf; returns where the valid ones end. */
static int64_t replay(struct et_state *s, const uint8_t *buf, int64_t size, uint64_t hs[3],
                      int *records)
{
    int64_t off = 0;
    uint32_t crc = 0;
    while (size - off >= WAL_HEADER) {
        const uint8_t *rec = buf + off;
        uint32_t len = get32(rec);
        if (len > WAL_ENTRY_BODY + ET_MAX_ENTRY_BYTES || (int64_t)len > size - off - WAL_HEADER)
            break;
        uint32_t c = crc32c(crc, rec + 8, 1 + (size_t)len);
        if (c != get32(rec + 4) || replay_record(s, rec[8], rec + WAL_HEADER, len, hs) != 0)
            break;
        crc = c;
        off += WAL_HEADER + (int64_t)len;
        (*records)++;
    }
    s->wal_crc = crc;
    return off;
}

static int read_and_replay(fl_node *n, struct et_state *s, uint64_t hs[3])
{
    int records = 0;
    int64_t size = fl_disk_size(n, ET_WAL_FILE);
    if (size <= 0)
        return 0;
    uint8_t *buf = malloc((size_t)size);
    if (!buf || fl_disk_read(n, ET_WAL_FILE, 0, buf, (size_t)size) != size) {
        fl_log(n, FL_LOG_WARN, "%d cannot read the WAL (%lld bytes): starting empty", s->id,
               (long long)size);
        free(buf);
        fl_disk_truncate(n, ET_WAL_FILE, 0);
        return 0;
    }
    int64_t end = replay(s, buf, size, hs, &records);
    free(buf);
    if (end < size) {
        fl_log(n, FL_LOG_WARN, "%d WAL: cut a torn tail of %lld bytes at offset %lld", s->id,
               (long long)(size - end), (long long)end);
        fl_disk_truncate(n, ET_WAL_FILE, end);
    }
    return records;
}

/* ---- bootstrap: a fresh disk ---- */

/* etcd's ConfChange{Type: ConfChangeAddNode, NodeID: id} as gogo-protobuf marshals it
 * (the seed's Data:[8 0 16 0 24 1]). */
static uint32_t conf_add(int id, uint8_t *out)
{
    uint32_t n = 0;
    out[n++] = 8, out[n++] = 0, out[n++] = 16, out[n++] = 0, out[n++] = 24;
    for (uint32_t v = (uint32_t)id; n < 12; v >>= 7) {
        out[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    return n;
}

/* One configuration entry per member at term 1 (etcd's bootstrap), or params.initial's
 * log, whose first N entries are configuration entries when they are all of term 1. */
static void bootstrap(fl_node *n, struct et_state *s, const cJSON *params, uint64_t hs[3])
{
    const cJSON *in = params ? cJSON_GetObjectItemCaseSensitive(params, "initial") : NULL;
    const cJSON *lt = in ? cJSON_GetObjectItemCaseSensitive(in, "log_terms") : NULL;
    const cJSON *t = in ? cJSON_GetObjectItemCaseSensitive(in, "term") : NULL;
    const cJSON *c = in ? cJSON_GetObjectItemCaseSensitive(in, "commit") : NULL;
    int len = lt ? cJSON_GetArraySize(lt) : (in ? 0 : s->n), conf = len >= s->n, i = 0;
    for (const cJSON *e = lt ? lt->child : NULL; e && i < s->n; e = e->next, i++)
        conf &= e->valuedouble == 1.0;
    fl_disk_truncate(n, ET_WAL_FILE, 0);
    s->wal_crc = 0;
    const cJSON *e = lt ? lt->child : NULL;
    for (i = 0; i < len; i++, e = e ? e->next : NULL) {
        uint8_t data[16];
        int is_conf = conf && i < s->n;
        uint32_t dlen = is_conf ? conf_add(i + 1, data) : 0;
        uint64_t term = e ? (uint64_t)e->valuedouble : 1;
        if (et_log_put(s, (uint64_t)i + 1, term, is_conf ? ET_ENTRY_CONF : ET_ENTRY_NORMAL, data,
                       dlen) != 0)
            break;
    }
    uint64_t last_term = s->last ? s->ents[s->last - 1].term : 0;
    hs[0] = in ? (t ? (uint64_t)t->valuedouble : 0) : 1;
    hs[0] = hs[0] < last_term ? last_term : hs[0];
    hs[1] = 0;
    hs[2] = in ? (c ? (uint64_t)c->valuedouble : 0) : (uint64_t)s->n;
    et_wal_hard_state(n, s, hs[0], hs[1], hs[2]);
    for (uint64_t k = 1; k <= s->last; k++)
        et_wal_entry(n, s, k, &s->ents[k - 1]);
    fl_log(n, FL_LOG_INFO, "%d starting a new WAL from %s: term %llu, commit %llu, %llu entries",
           s->id, in ? "params.initial" : "the bootstrap configuration", (unsigned long long)hs[0],
           (unsigned long long)hs[2], (unsigned long long)s->last);
}

void et_wal_recover(fl_node *n, struct et_state *s, const cJSON *params, uint64_t hs[3])
{
    hs[0] = hs[1] = hs[2] = 0;
    fl_log(n, FL_LOG_INFO, "replaying WAL of member %d", s->id);
    /* the snapshot the WAL starts after, as raftexample says it: never compacted here */
    fl_log(n, FL_LOG_INFO, "loading WAL at term 0 and index 0");
    if (read_and_replay(n, s, hs) == 0) {
        et_log_free(s);
        bootstrap(n, s, params, hs);
    } else {
        s->stable = s->last;
    }
    if (hs[2] > s->last)
        hs[2] = s->last; /* a commit whose entries were torn off */
    fl_log(n, FL_LOG_INFO, "raftexample: wal loaded");
}

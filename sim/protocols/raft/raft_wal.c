/*
 * raft_wal.c -- the write-ahead log on the simulated disk (file 0): hard state and
 * entries, replayed at every start (§5.1 Figure 2: "updated on stable storage before
 * responding to RPCs").
 *
 * Record: u32 len | u32 crc | u8 type | body[len], little-endian.  The crc is CRC-32C
 * over type and body, chained from the previous record's crc (as etcd's WAL chains its
 * records), so a record is valid only in its place.  Bodies:
 *   hard state (1): u64 term, u32 vote, u64 commit
 *   entry (2):      u64 index, u64 term, u8 type, u32 len, data[len]
 * The file is append-only.  A follower that cuts a conflicting suffix writes nothing
 * for the cut: the next entry record carries a lower index, and replay cuts the log
 * there (etcd's WAL does the same).  The hard state is written before any entry
 * appended after it changed, so a replayed log never has entries of a term newer than
 * the replayed term.
 *
 * Replay reads records until the first one that is short, oversized, fails its crc or
 * does not fit the log (an index gap): that is a torn or lost tail, which is cut from
 * the file and never trusted.  What replay returns is durable (a crash leaves only
 * durable bytes behind), so `stable` starts at the replayed last index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

enum { WAL_HARD_STATE = 1, WAL_ENTRY = 2 };
#define WAL_HEADER 9
#define WAL_HS_BODY 20
#define WAL_ENTRY_BODY 21
#define WAL_MAX_BODY (WAL_ENTRY_BODY + FR_MAX_ENTRY_BYTES)

/* A byte at a time through a table: the bitwise loop was a third of a crash-heavy run
 * (every restart replays the whole WAL).  The table is filled on first use; a process
 * runs one world at a time, on one thread. */
static uint32_t crc_table[256];

static void crc_table_fill(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (UINT32_C(0x82f63b78) & (0u - (c & 1u)));
        crc_table[i] = c;
    }
}

uint32_t fr_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (crc_table[1] == 0)
        crc_table_fill();
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    return ~crc;
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
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Append one record; body is in rec + WAL_HEADER. */
static void wal_write(fl_node *n, struct fr_state *s, uint8_t *rec, int type, uint32_t len)
{
    put32(rec, len);
    rec[8] = (uint8_t)type;
    uint32_t crc = fr_crc32c(s->wal_crc, rec + 8, 1 + (size_t)len);
    put32(rec + 4, crc);
    if (fl_disk_append(n, FR_WAL_FILE, rec, WAL_HEADER + (size_t)len) != 0) {
        fl_log(n, FL_LOG_WARN, "%d WAL append failed (%u bytes)", s->id, WAL_HEADER + len);
        return;
    }
    s->wal_crc = crc;
    s->wal_dirty = 1;
}

void fr_persist_hard_state(fl_node *n, struct fr_state *s)
{
    if (s->term == s->hs_term && s->vote == s->hs_vote && s->commit == s->hs_commit)
        return;
    uint8_t rec[WAL_HEADER + WAL_HS_BODY];
    /* Bug forget_vote: the vote never reaches the disk, so a restart forgets it. */
    int vote = fr_bug(s, FR_BUG_FORGET_VOTE) ? 0 : s->vote;
    put64(rec + WAL_HEADER, s->term);
    put32(rec + WAL_HEADER + 8, (uint32_t)vote);
    put64(rec + WAL_HEADER + 12, s->commit);
    wal_write(n, s, rec, WAL_HARD_STATE, WAL_HS_BODY);
    s->hs_term = s->term;
    s->hs_vote = s->vote;
    s->hs_commit = s->commit;
}

int fr_append(fl_node *n, struct fr_state *s, uint64_t term, int type, const void *data,
              uint32_t len)
{
    fr_persist_hard_state(n, s);
    if (fr_log_push(s, term, type, data, len) != 0)
        return -1;
    uint8_t rec[WAL_HEADER + WAL_MAX_BODY];
    uint8_t *b = rec + WAL_HEADER;
    put64(b, s->last);
    put64(b + 8, term);
    b[16] = (uint8_t)type;
    put32(b + 17, len);
    if (len)
        memcpy(b + WAL_ENTRY_BODY, data, len);
    wal_write(n, s, rec, WAL_ENTRY, WAL_ENTRY_BODY + len);
    return 0;
}

void fr_truncate(struct fr_state *s, uint64_t last)
{
    fr_log_cut(s, last);
    /* What was synced beyond the cut is no longer in the log, nor covered by the syncs
     * in flight: the entries that replace it still have to be synced. */
    if (s->stable > last)
        s->stable = last;
    for (size_t i = 0; i < s->nsyncs; i++)
        if (s->syncs[i].last > last)
            s->syncs[i].last = last;
}

/* ---- replay ---- */

struct replay {
    int records, hard_states;
};

static int replay_entry(struct fr_state *s, const uint8_t *b, uint32_t len)
{
    if (len < WAL_ENTRY_BODY)
        return -1;
    uint64_t index = get64(b), term = get64(b + 8);
    uint8_t type = b[16];
    uint32_t dlen = get32(b + 17);
    if (dlen != len - WAL_ENTRY_BODY || type > FR_ENTRY_CLIENT || term == 0)
        return -1;
    if (index == 0 || index > s->last + 1)
        return -1; /* a gap: not a log this node ever had */
    fr_log_cut(s, index - 1);
    return fr_log_push(s, term, type, b + WAL_ENTRY_BODY, dlen);
}

static int replay_record(struct fr_state *s, int type, const uint8_t *b, uint32_t len,
                         struct replay *r)
{
    if (type == WAL_ENTRY)
        return replay_entry(s, b, len);
    if (type != WAL_HARD_STATE || len != WAL_HS_BODY)
        return -1;
    uint32_t vote = get32(b + 8);
    if (vote > (uint32_t)s->n)
        return -1;
    s->term = get64(b);
    s->vote = (int)vote;
    s->commit = get64(b + 12);
    r->hard_states++;
    return 0;
}

/* Replay `size` bytes of WAL; returns the offset where the valid records end. */
static int64_t replay(struct fr_state *s, const uint8_t *buf, int64_t size, struct replay *r)
{
    int64_t off = 0;
    uint32_t crc = 0;
    while (size - off >= WAL_HEADER) {
        const uint8_t *rec = buf + off;
        uint32_t len = get32(rec);
        if (len > WAL_MAX_BODY || (int64_t)len > size - off - WAL_HEADER)
            break;
        uint32_t c = fr_crc32c(crc, rec + 8, 1 + (size_t)len);
        if (c != get32(rec + 4) || replay_record(s, rec[8], rec + WAL_HEADER, len, r) != 0)
            break;
        crc = c;
        off += WAL_HEADER + (int64_t)len;
        r->records++;
    }
    s->wal_crc = crc;
    return off;
}

static void read_and_replay(fl_node *n, struct fr_state *s, struct replay *r)
{
    int64_t size = fl_disk_size(n, FR_WAL_FILE);
    if (size <= 0)
        return;
    uint8_t *buf = malloc((size_t)size);
    if (!buf || fl_disk_read(n, FR_WAL_FILE, 0, buf, (size_t)size) != size) {
        fl_log(n, FL_LOG_WARN, "%d cannot read the WAL (%lld bytes): starting empty", s->id,
               (long long)size);
        free(buf);
        fl_disk_truncate(n, FR_WAL_FILE, 0);
        return;
    }
    int64_t end = replay(s, buf, size, r);
    free(buf);
    if (end < size) {
        fl_log(n, FL_LOG_WARN, "%d WAL: cut a torn tail of %lld bytes at offset %lld", s->id,
               (long long)(size - end), (long long)end);
        fl_disk_truncate(n, FR_WAL_FILE, end);
        s->wal_dirty = 1; /* make the cut durable too */
    }
}

/* ---- bootstrap ---- */

/* Entries of a fresh cluster: one configuration entry per member at term 1 (indexes
 * 1..N, as etcd's bootstrap does), or params.initial's log. */
static void bootstrap_log(fl_node *n, struct fr_state *s, const cJSON *initial)
{
    const cJSON *lt = initial ? cJSON_GetObjectItemCaseSensitive(initial, "log_terms") : NULL;
    int len = lt ? cJSON_GetArraySize(lt) : (initial ? 0 : s->n);
    /* params.initial's first N entries are configuration entries when all are term 1. */
    int conf = len >= s->n;
    int i = 0;
    for (const cJSON *e = lt ? lt->child : NULL; e && i < s->n; e = e->next, i++)
        if (e->valuedouble != 1.0)
            conf = 0;
    const cJSON *e = lt ? lt->child : NULL;
    for (i = 0; i < len; i++, e = e ? e->next : NULL) {
        uint64_t term = e ? (uint64_t)e->valuedouble : 1;
        char data[32];
        int dlen = 0, type = FR_ENTRY_NORMAL;
        if (conf && i < s->n) {
            type = FR_ENTRY_CONF;
            dlen = snprintf(data, sizeof data, "add %d", i + 1);
        }
        if (fr_append(n, s, term, type, data, (uint32_t)dlen) != 0)
            break;
    }
}

static void bootstrap(fl_node *n, struct fr_state *s, const cJSON *params)
{
    const cJSON *initial = params ? cJSON_GetObjectItemCaseSensitive(params, "initial") : NULL;
    fl_disk_truncate(n, FR_WAL_FILE, 0);
    fr_log_cut(s, 0);
    s->wal_crc = 0;
    if (initial) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(initial, "term");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(initial, "commit");
        s->term = t ? (uint64_t)t->valuedouble : 0;
        s->commit = c ? (uint64_t)c->valuedouble : 0;
    } else {
        s->term = 1;
        s->commit = (uint64_t)s->n;
    }
    s->vote = 0;
    bootstrap_log(n, s, initial);
    if (s->term < fr_last_term(s))
        s->term = fr_last_term(s); /* params.initial without a term */
    fr_persist_hard_state(n, s);
    if (s->commit > s->last)
        s->commit = s->last;
    fl_log(n, FL_LOG_INFO,
           "%d starting a new WAL from %s: term %llu, commit %llu, %llu "
           "entries",
           s->id, initial ? "params.initial" : "the bootstrap configuration",
           (unsigned long long)s->term, (unsigned long long)s->commit, (unsigned long long)s->last);
}

void fr_wal_recover(fl_node *n, struct fr_state *s, const cJSON *params)
{
    struct replay r = {0, 0};
    fl_log(n, FL_LOG_INFO, "replaying WAL of member %d", s->id);
    /* etcd names the snapshot the WAL starts after; this log is never compacted. */
    fl_log(n, FL_LOG_INFO, "loading WAL at term 0 and index 0");
    read_and_replay(n, s, &r);
    s->hs_term = s->term;
    s->hs_vote = s->vote;
    s->hs_commit = s->commit;
    if (r.records == 0) {
        bootstrap(n, s, params);
        return;
    }
    s->stable = s->last;
    if (s->commit > s->last) {
        fl_log(n, FL_LOG_WARN, "%d WAL commit %llu is beyond the last entry %llu", s->id,
               (unsigned long long)s->commit, (unsigned long long)s->last);
        s->commit = s->last;
    }
    fl_log(n, FL_LOG_INFO,
           "wal loaded: %d records, %d hard states, term %llu, commit %llu, "
           "last index %llu",
           r.records, r.hard_states, (unsigned long long)s->term, (unsigned long long)s->commit,
           (unsigned long long)s->last);
}

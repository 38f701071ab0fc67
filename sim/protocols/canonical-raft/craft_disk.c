/*
 * craft_disk.c -- libraft's persistent state on the simulated disk.
 *
 * File 0 holds the metadata (term and vote) in two 32-byte slots written alternately,
 * as libraft's own libuv backend does with its metadata1 / metadata2 files: a write
 * torn by a crash damages only the slot being written, and the other still holds the
 * previous version.  A slot is {magic, checksum, version, term, vote}; the valid slot
 * with the higher version wins.
 *
 * File 1 is the log: one record per entry, {magic, checksum, term, type, len} and the
 * data, appended in index order.  At load the records are read until the first one
 * that is short or fails its checksum: that is a torn tail (a crash kept a prefix of
 * unsynced bytes), and the file is cut there.  Only unsynced bytes can be torn, and
 * libraft never acknowledged them, so cutting loses nothing it promised.
 *
 * The adapter keeps a shadow of the log in memory (s->ents: term, type, data, record
 * offset), which truncation needs for the offsets and the observer and snapshot read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/canonical-raft/craft.h"

#define META_MAGIC UINT32_C(0x544d5243) /* "CRMT" */
#define LOG_MAGIC UINT32_C(0x474c5243)  /* "CRLG" */
#define META_SLOT 32
#define REC_HEADER 24
#define MAX_RECORD (1u << 20)

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* FNV-1a, folded to 32 bits: any checksum finds a torn tail; this one is cheap. */
static uint32_t checksum(uint64_t h, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return (uint32_t)(h ^ (h >> 32));
}
#define FNV_SEED UINT64_C(0xcbf29ce484222325)

void *cr_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *q = realloc(p, ncap * elem);
    if (q)
        *cap = ncap;
    return q;
}

/* ---- metadata ---- */

static int read_slot(struct cr_state *s, int slot, uint64_t *version, uint64_t *term,
                     uint64_t *vote)
{
    uint8_t b[META_SLOT];
    if (fl_disk_read(s->node, CR_META_FILE, slot * META_SLOT, b, sizeof b) != META_SLOT)
        return -1;
    if (get32(b) != META_MAGIC || get32(b + 4) != checksum(FNV_SEED, b + 8, META_SLOT - 8))
        return -1;
    *version = get64(b + 8);
    *term = get64(b + 16);
    *vote = get64(b + 24);
    return 0;
}

static void load_meta(struct cr_state *s)
{
    uint64_t best = 0;
    for (int slot = 0; slot < 2; slot++) {
        uint64_t version, term, vote;
        if (read_slot(s, slot, &version, &term, &vote) != 0 || version <= best)
            continue;
        best = version;
        s->term = term;
        s->vote = (raft_id)vote;
    }
    s->meta_version = best;
}

uint64_t cr_disk_set_meta(struct cr_state *s, uint64_t term, raft_id vote)
{
    uint8_t b[META_SLOT];
    uint64_t version = s->meta_version + 1;
    put32(b, META_MAGIC);
    put64(b + 8, version);
    put64(b + 16, term);
    put64(b + 24, (uint64_t)vote);
    put32(b + 4, checksum(FNV_SEED, b + 8, META_SLOT - 8));
    int64_t off = (int64_t)(version % 2) * META_SLOT;
    if (fl_disk_size(s->node, CR_META_FILE) < off)
        fl_disk_write(s->node, CR_META_FILE, 0, b, sizeof b); /* slot 0 first, to fill */
    fl_disk_write(s->node, CR_META_FILE, off, b, sizeof b);
    s->meta_version = version;
    s->term = term;
    s->vote = vote;
    s->meta_sync = fl_disk_sync(s->node, CR_META_FILE);
    return s->meta_sync;
}

/* ---- the log ---- */

static int push_entry(struct cr_state *s, uint64_t term, uint16_t type, const void *data,
                      uint32_t len, int64_t off)
{
    if (s->last >= CR_MAX_LOG)
        return -1;
    struct cr_entry *e = cr_grow(s->ents, &s->cap, s->last + 1, sizeof *e);
    if (!e)
        return -1;
    s->ents = e;
    char *copy = NULL;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return -1;
        memcpy(copy, data, len);
    }
    s->ents[s->last++] = (struct cr_entry){
        .term = term, .seq = ++s->append_seq, .off = off, .len = len, .type = type, .data = copy};
    return 0;
}

/* Read the record at off; returns its total size, or 0 when it is torn or invalid. */
static int64_t read_record(struct cr_state *s, int64_t off, int64_t size)
{
    uint8_t h[REC_HEADER];
    if (size - off < REC_HEADER ||
        fl_disk_read(s->node, CR_LOG_FILE, off, h, sizeof h) != REC_HEADER)
        return 0;
    uint32_t len = get32(h + 20);
    if (get32(h) != LOG_MAGIC || len > MAX_RECORD || size - off - REC_HEADER < len)
        return 0;
    char *data = malloc(len ? len : 1);
    if (!data)
        return 0;
    int64_t got = fl_disk_read(s->node, CR_LOG_FILE, off + REC_HEADER, data, len);
    uint32_t sum = checksum(FNV_SEED, h + 8, REC_HEADER - 8);
    sum = checksum(sum, data, len);
    int ok = got == (int64_t)len && sum == get32(h + 4);
    uint16_t type;
    memcpy(&type, h + 16, 2);
    ok = ok && (type == RAFT_COMMAND || type == RAFT_BARRIER || type == RAFT_CHANGE);
    ok = ok && push_entry(s, get64(h + 8), type, data, len, off) == 0;
    free(data);
    return ok ? REC_HEADER + (int64_t)len : 0;
}

static void load_log(struct cr_state *s)
{
    int64_t size = fl_disk_size(s->node, CR_LOG_FILE), off = 0;
    while (off < size) {
        int64_t rec = read_record(s, off, size);
        if (rec == 0)
            break;
        off += rec;
    }
    if (off < size) {
        fl_log(s->node, FL_LOG_WARN,
               "%d log: torn tail after entry %llu: cutting %lld bytes at offset %lld", s->id,
               (unsigned long long)s->last, (long long)(size - off), (long long)off);
        fl_disk_truncate(s->node, CR_LOG_FILE, off);
    }
}

void cr_disk_load(struct cr_state *s)
{
    load_meta(s);
    load_log(s);
    s->stable = s->last; /* what survives a crash is durable by definition */
    fl_log(s->node, FL_LOG_INFO, "%d loaded term %llu vote %llu, %llu log entries", s->id,
           (unsigned long long)s->term, (unsigned long long)s->vote, (unsigned long long)s->last);
}

int cr_disk_append(struct cr_state *s, const struct raft_entry *ents, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct raft_entry *e = &ents[i];
        size_t need = REC_HEADER + e->buf.len;
        if (e->buf.len > MAX_RECORD)
            return -1;
        uint8_t *b = cr_grow(s->mbuf, &s->mcap, need, 1);
        if (!b)
            return -1;
        s->mbuf = b;
        memset(b, 0, REC_HEADER);
        put32(b, LOG_MAGIC);
        put64(b + 8, e->term);
        memcpy(b + 16, &e->type, 2);
        put32(b + 20, (uint32_t)e->buf.len);
        if (e->buf.len)
            memcpy(b + REC_HEADER, e->buf.base, e->buf.len);
        uint32_t sum = checksum(FNV_SEED, b + 8, REC_HEADER - 8);
        put32(b + 4, checksum(sum, b + REC_HEADER, e->buf.len));
        int64_t off = fl_disk_size(s->node, CR_LOG_FILE);
        if (push_entry(s, e->term, e->type, e->buf.base, (uint32_t)e->buf.len, off) != 0)
            return -1;
        fl_disk_append(s->node, CR_LOG_FILE, b, need);
    }
    return 0;
}

void cr_disk_truncate(struct cr_state *s, uint64_t index)
{
    if (index < 1 || index > s->last)
        return;
    fl_disk_truncate(s->node, CR_LOG_FILE, s->ents[index - 1].off);
    for (uint64_t i = index; i <= s->last; i++)
        free(s->ents[i - 1].data);
    s->last = index - 1;
    if (s->stable > s->last)
        s->stable = s->last;
    /* appends in flight no longer cover what was cut */
    for (size_t i = 0; i < s->nappends; i++)
        if (s->appends[i].last > s->last)
            s->appends[i].last = s->last;
}

void cr_disk_free(struct cr_state *s)
{
    for (uint64_t i = 0; i < s->last; i++)
        free(s->ents[i].data);
    free(s->ents);
    s->ents = NULL;
    s->last = s->cap = 0;
}

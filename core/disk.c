/* disk.c -- simulated durable files with asynchronous sync (see disk.h). */
#include "core/disk.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/world.h"

#define DISK_MAX_FILE_BYTES (INT64_C(1) << 32)

void fl_disk_init(fl_disk *d)
{
    memset(d, 0, sizeof *d);
    d->next_sync_id = 1;
}

static void pending_free_all(fl_disk *d)
{
    for (uint32_t i = 0; i < d->npending; i++)
        free(d->pending[(d->pending_head + i) % d->pending_cap].bytes);
    d->npending = 0;
    d->pending_head = 0;
}

void fl_disk_close(fl_disk *d)
{
    pending_free_all(d);
    free(d->pending);
    for (int f = 0; f < FL_MAX_DISK_FILES; f++) {
        free(d->cur[f].data);
        free(d->dur[f].data);
    }
    memset(d, 0, sizeof *d);
}

static int buf_reserve(fl_buf *b, int64_t size)
{
    if (size <= b->cap)
        return 0;
    int64_t ncap = b->cap ? b->cap : 256;
    while (ncap < size)
        ncap *= 2;
    uint8_t *p = realloc(b->data, (size_t)ncap);
    if (!p)
        return FL_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return 0;
}

/* Make b hold exactly [0, size) of src followed by nothing else. */
static int buf_set_prefix(fl_buf *b, const uint8_t *src, int64_t size)
{
    int rc = buf_reserve(b, size);
    if (rc)
        return rc;
    if (size > 0)
        memmove(b->data, src, (size_t)size);
    b->size = size;
    return 0;
}

static int valid_file(int file)
{
    return file >= 0 && file < FL_MAX_DISK_FILES;
}

int64_t fl_disk_file_size(const fl_disk *d, int file)
{
    if (!valid_file(file))
        return FL_EINVAL;
    return d->cur[file].size;
}

static void mark_dirty(fl_disk *d, int file, int64_t off)
{
    if (off < d->dirty_from[file])
        d->dirty_from[file] = off;
}

int fl_disk_do_write(fl_disk *d, int file, int64_t off, const void *buf, size_t len)
{
    if (!valid_file(file) || off < 0 || off > d->cur[file].size)
        return FL_EINVAL;
    if (off + (int64_t)len > DISK_MAX_FILE_BYTES)
        return FL_ELIMIT;
    fl_buf *b = &d->cur[file];
    int64_t end = off + (int64_t)len;
    if (end > b->size) {
        int rc = buf_reserve(b, end);
        if (rc)
            return rc;
        b->size = end;
    }
    if (len > 0)
        memcpy(b->data + off, buf, len);
    mark_dirty(d, file, off);
    return 0;
}

int64_t fl_disk_do_read(const fl_disk *d, int file, int64_t off, void *buf, size_t len)
{
    if (!valid_file(file) || off < 0)
        return FL_EINVAL;
    const fl_buf *b = &d->cur[file];
    if (off >= b->size)
        return 0;
    int64_t n = b->size - off;
    if (n > (int64_t)len)
        n = (int64_t)len;
    memcpy(buf, b->data + off, (size_t)n);
    return n;
}

int fl_disk_do_truncate(fl_disk *d, int file, int64_t size)
{
    if (!valid_file(file) || size < 0 || size > d->cur[file].size)
        return FL_EINVAL;
    d->cur[file].size = size;
    mark_dirty(d, file, size);
    return 0;
}

static int pending_push(fl_disk *d, const fl_pending_sync *s)
{
    if (d->npending == d->pending_cap) {
        uint32_t ncap = d->pending_cap ? d->pending_cap * 2 : 8;
        fl_pending_sync *p = malloc(ncap * sizeof *p);
        if (!p)
            return FL_ENOMEM;
        for (uint32_t i = 0; i < d->npending; i++)
            p[i] = d->pending[(d->pending_head + i) % d->pending_cap];
        free(d->pending);
        d->pending = p;
        d->pending_cap = ncap;
        d->pending_head = 0;
    }
    d->pending[(d->pending_head + d->npending) % d->pending_cap] = *s;
    d->npending++;
    return 0;
}

int64_t fl_disk_request_sync(fl_disk *d, int file)
{
    if (!valid_file(file))
        return FL_EINVAL;
    const fl_buf *b = &d->cur[file];
    int64_t from = d->dirty_from[file];
    if (from > b->size)
        from = b->size;
    fl_pending_sync s = {.id = d->next_sync_id, .file = file, .from = from, .size = b->size};
    if (b->size > from) {
        s.bytes = malloc((size_t)(b->size - from));
        if (!s.bytes)
            return FL_ENOMEM;
        memcpy(s.bytes, b->data + from, (size_t)(b->size - from));
    }
    int rc = pending_push(d, &s);
    if (rc) {
        free(s.bytes);
        return rc;
    }
    d->next_sync_id++;
    d->dirty_from[file] = b->size;
    return (int64_t)s.id;
}

uint64_t fl_disk_oldest_sync(const fl_disk *d)
{
    FL_ASSERT(d->npending > 0);
    return d->pending[d->pending_head].id;
}

void fl_disk_complete_sync(fl_disk *d, uint64_t id)
{
    FL_ASSERT(d->npending > 0);
    fl_pending_sync *s = &d->pending[d->pending_head];
    FL_ASSERT(s->id == id);
    fl_buf *dur = &d->dur[s->file];
    /* The durable image below `from` is unchanged since the previous request, which has
     * completed (FIFO); above it, the captured bytes are the content at request time. */
    int64_t keep = s->from < dur->size ? s->from : dur->size;
    FL_ASSERT(keep == s->from);
    int rc = buf_reserve(dur, s->size);
    FL_ASSERT(rc == 0);
    if (s->size > s->from)
        memcpy(dur->data + s->from, s->bytes, (size_t)(s->size - s->from));
    dur->size = s->size;
    free(s->bytes);
    d->pending_head = (d->pending_head + 1) % d->pending_cap;
    d->npending--;
}

/* The lowest offset of `file` whose durable content may differ from the current one. */
static int64_t unstable_from(const fl_disk *d, int file)
{
    int64_t from = d->dirty_from[file];
    for (uint32_t i = 0; i < d->npending; i++) {
        const fl_pending_sync *s = &d->pending[(d->pending_head + i) % d->pending_cap];
        if (s->file == file && s->from < from)
            from = s->from;
    }
    if (from > d->dur[file].size)
        from = d->dur[file].size;
    return from;
}

int64_t fl_disk_unsynced_bytes(const fl_disk *d)
{
    int64_t total = 0;
    for (int f = 0; f < FL_MAX_DISK_FILES; f++) {
        int64_t from = unstable_from(d, f);
        int64_t cur = d->cur[f].size - from;
        int64_t dur = d->dur[f].size - from;
        total += cur > dur ? cur : dur;
    }
    return total;
}

int64_t fl_disk_crash(fl_disk *d, int policy, double keep_fraction)
{
    int64_t lost = 0;
    for (int f = 0; f < FL_MAX_DISK_FILES; f++) {
        int64_t from = unstable_from(d, f);
        fl_buf *cur = &d->cur[f];
        fl_buf *dur = &d->dur[f];
        if (policy == FL_UNSYNCED_KEEP) {
            buf_set_prefix(dur, cur->data, cur->size);
        } else if (policy == FL_UNSYNCED_TEAR && cur->size > from) {
            /* A prefix of what was written since the last durable point survives. */
            int64_t span = cur->size - from;
            int64_t kept = (int64_t)(keep_fraction * (double)span);
            lost += span - kept;
            buf_set_prefix(dur, cur->data, from + kept);
        } else {
            int64_t span = cur->size - from;
            lost += span > 0 ? span : 0;
        }
        FL_ASSERT(buf_set_prefix(cur, dur->data, dur->size) == 0);
        d->dirty_from[f] = cur->size;
    }
    pending_free_all(d);
    return lost;
}

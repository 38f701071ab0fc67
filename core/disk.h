/*
 * disk.h -- one node's simulated durable files.
 *
 * Each file has a current image (what reads see) and a durable image (what survives a
 * crash).  A sync request captures the bytes changed since the previous request; when
 * it completes (syncs of one node complete in request order) those bytes become
 * durable.  Tracking the lowest changed offset instead of every write keeps a sync's
 * cost proportional to what changed, which for an append-only log is the appended
 * bytes.
 *
 * At a crash the current image is rebuilt from the durable one by policy: keep
 * (everything written survives), lose (only durable bytes survive) or tear (a prefix of
 * the unsynced region survives, its length given by the caller).
 */
#ifndef FL_CORE_DISK_H
#define FL_CORE_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "core/faultline.h"

typedef struct fl_buf {
    uint8_t *data;
    int64_t size, cap;
} fl_buf;

/* A sync in progress: the changed region [from, size) as of the request. */
typedef struct fl_pending_sync {
    uint64_t id;
    int file;
    int64_t from, size;
    uint8_t *bytes; /* size - from bytes */
} fl_pending_sync;

typedef struct fl_disk {
    fl_buf cur[FL_MAX_DISK_FILES];
    fl_buf dur[FL_MAX_DISK_FILES];
    int64_t dirty_from[FL_MAX_DISK_FILES]; /* lowest offset changed since last request */
    fl_pending_sync *pending;              /* FIFO of requested, incomplete syncs */
    uint32_t npending, pending_cap, pending_head;
    uint64_t next_sync_id;
} fl_disk;

void fl_disk_init(fl_disk *d);
void fl_disk_close(fl_disk *d);

int64_t fl_disk_file_size(const fl_disk *d, int file);
int fl_disk_do_write(fl_disk *d, int file, int64_t off, const void *buf, size_t len);
int64_t fl_disk_do_read(const fl_disk *d, int file, int64_t off, void *buf, size_t len);
int fl_disk_do_truncate(fl_disk *d, int file, int64_t size);

/* Request a sync of `file`: returns its id (> 0) or a negative FL_E code. */
int64_t fl_disk_request_sync(fl_disk *d, int file);
/* The id of the oldest pending sync (there must be one). */
uint64_t fl_disk_oldest_sync(const fl_disk *d);
/* Complete the oldest pending sync, which must be `id`. */
void fl_disk_complete_sync(fl_disk *d, uint64_t id);

/* Bytes that a crash could lose right now (over all files). */
int64_t fl_disk_unsynced_bytes(const fl_disk *d);
/* The crash: discard pending syncs, rebuild current images by policy.  For tear,
 * keep_fraction in [0,1) picks how much of each file's unsynced region survives.
 * Returns the number of bytes lost. */
int64_t fl_disk_crash(fl_disk *d, int policy, double keep_fraction);

#endif /* FL_CORE_DISK_H */

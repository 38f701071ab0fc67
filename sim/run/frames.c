/* frames.c -- a run's records down a pipe in the wire encoding (see frames.h). */
#include "sim/run/frames.h"

#include <errno.h>
#include <unistd.h>

#include "core/error.h"

/* Far below the result pipe's size (sim/worker.c), so that a write seldom waits for the
 * parent to read: 256 kB into a pipe of 64 kB made the two take turns. */
#define FRAMES_FLUSH (64 << 10)

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Encode; send at RUN_END (a bare run's frames in one write), or sooner when a full
 * recording's buffer grows. */
static int consume(void *ctx, const fl_record *r)
{
    fl_frames *f = ctx;
    fl_record copy = *r;
    if (r->kind == FL_REC_RUN_BEGIN && !(f->flags & FL_FRAMES_SCHEDULE))
        copy.u.begin.schedule_json = NULL;
    int rc = fl_wire_put(&f->buf, &copy);
    if (rc)
        return rc;
    if (r->kind == FL_REC_RUN_END || f->buf.len >= FRAMES_FLUSH ||
        (r->kind == FL_REC_STEP_END && (f->flags & FL_FRAMES_EVERY_STEP))) {
        rc = write_all(f->fd, f->buf.p, f->buf.len) ? FL_EIO : 0;
        f->buf.len = 0;
    }
    return rc;
}

void fl_frames_sink(fl_frames *f, int fd, uint32_t wants, uint32_t flags, fl_sink *k)
{
    f->fd = fd;
    f->flags = flags;
    f->buf.len = 0; /* the buffer is kept from run to run */
    /* run_end flushes: always wanted */
    wants |= FL_REC_BIT(FL_REC_RUN_END);
    if (flags & FL_FRAMES_EVERY_STEP)
        wants |= FL_REC_BIT(FL_REC_STEP_END);
    *k = (fl_sink){.name = "frames", .wants = wants, .ctx = f, .consume = consume};
}

void fl_frames_close(fl_frames *f)
{
    fl_wire_buf_close(&f->buf);
}

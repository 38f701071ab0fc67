/*
 * frames.h -- a sink that writes a run's records to a file descriptor in the wire
 * encoding (wire.h): how a worker streams a run to its parent.  What is gathered goes in
 * one write at the run's end (a sweep's bare run: its begin, metrics and end), whenever
 * 64 KiB have gathered (a full recording never sits whole in the worker), or at every
 * step's end when asked.
 */
#ifndef FL_SIM_RUN_FRAMES_H
#define FL_SIM_RUN_FRAMES_H

#include "core/record.h"
#include "sim/run/wire.h"

/* How frames go down the pipe. */
enum {
    FL_FRAMES_SCHEDULE = 1,   /* keep run_begin's schedule (else dropped: the seed has it) */
    FL_FRAMES_EVERY_STEP = 2, /* write at every step's end, so that a crash loses nothing
                               * the parent could report (a single run: the exact step) */
};

typedef struct fl_frames {
    fl_wire_buf buf;
    int fd;
    uint32_t flags; /* FL_FRAMES_* */
} fl_frames;

/* A sink writing the kinds in wants to fd.  f must be zeroed before its first use and
 * outlive the run; it may serve one run after another, keeping its buffer; free that
 * with fl_frames_close.  A failed write is the sink's error (FL_EIO). */
void fl_frames_sink(fl_frames *f, int fd, uint32_t wants, uint32_t flags, fl_sink *k);
void fl_frames_close(fl_frames *f);

#endif /* FL_SIM_RUN_FRAMES_H */

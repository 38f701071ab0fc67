/*
 * frames.h -- a sink that writes a run's records to a file descriptor in the wire
 * encoding (wire.h): how a sweep worker streams a run to its parent.  A bare run (its
 * begin, metrics and end) goes in one write after its end; a full recording is flushed
 * whenever 256 KiB have gathered, so that it never sits whole in the worker.
 */
#ifndef FL_SIM_RUN_FRAMES_H
#define FL_SIM_RUN_FRAMES_H

#include "core/record.h"
#include "sim/run/wire.h"

typedef struct fl_frames {
    fl_wire_buf buf;
    int fd;
    int full; /* every record, with descriptions; else the run-level ones */
} fl_frames;

/* A sink writing to fd: every record (full) or only run begin, metrics and run end (a
 * bare run keeps no schedule: its seed regenerates it).  f must outlive the run; free
 * its buffer with fl_frames_close.  A failed write is the sink's error (FL_EIO). */
void fl_frames_sink(fl_frames *f, int fd, int full, fl_sink *k);
void fl_frames_close(fl_frames *f);

#endif /* FL_SIM_RUN_FRAMES_H */

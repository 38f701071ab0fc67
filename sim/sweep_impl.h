/*
 * sweep_impl.h -- the sweep parent's state, shared by sweep.c (the event loop and the
 * workers) and sweep_results.c (results into the database).  sim/ internal.
 */
#ifndef FL_SIM_SWEEP_IMPL_H
#define FL_SIM_SWEEP_IMPL_H

#include <stdint.h>
#include <sys/types.h>

#include "sim/run/wire.h"
#include "sim/sweep.h"

struct event;
struct event_base;

#define QD 2 /* seeds in flight per worker */

typedef struct worker {
    pid_t pid; /* 0: slot empty */
    int cmd_fd, res_fd;
    struct event *ev;
    uint64_t q[QD];
    int qn;
    int64_t cur_start_us; /* when q[0] started (about) */
    int killed_hang;
    fl_wire_buf in; /* bytes read from the worker, not yet a whole run */
} worker;

typedef struct sweep {
    const fl_sweep_cfg *c;
    fl_sweep_stats *st;
    struct event_base *base;
    worker *w;
    int nw;
    uint64_t next;
    int exhausted;
    uint64_t *retry;
    size_t nretry, retry_cap;
    fl_sweep_frame *later; /* to re-execute with full recording */
    size_t nlater, later_cap;
    uint64_t done; /* results received */
    int stopping;
    int rc;
    char err[512];
    int64_t t0_us, last_progress_us;
    int progress_shown;
} sweep;

/* sweep.c */
int64_t fl_sweep_now_us(void); /* monotonic wall clock: reporting and watchdogs only */

/* sweep_results.c */
/* Stop the sweep with an error (the first one is kept): kill the workers. */
void fl_sweep_fail_stop(sweep *s, int rc, const char *msg);
/* One seed's result: a bare row now, or kept for full recording.  Takes f's bytes. */
void fl_sweep_handle_result(sweep *s, fl_sweep_frame *f);
/* Before the loop: the scenario's pending rows (left by an interrupted or killed sweep)
 * join the seeds to record in full. */
int fl_sweep_load_pending(sweep *s, char *err, size_t cap);
/* After the loop: the kept seeds re-executed with full recording, each replacing its
 * pending row. */
void fl_sweep_record_later(sweep *s);

#endif /* FL_SIM_SWEEP_IMPL_H */

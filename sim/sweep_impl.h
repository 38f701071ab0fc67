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

struct fl_recorder;

/* A job in flight: a seed run bare, or (run_id > 0) re-executed with full recording,
 * replacing its pending row. */
typedef struct qjob {
    uint64_t seed;
    int64_t run_id;
    char digest[17]; /* the bare run's, to compare */
    uint64_t item;   /* with c->items: the job's index there */
} qjob;

typedef struct worker {
    pid_t pid; /* 0: slot empty */
    int cmd_fd, res_fd;
    struct event *ev;
    qjob q[QD];
    int qn;
    struct fl_recorder *rec; /* q[0]'s full recording, once its first bytes came */
    int64_t cur_start_us;    /* when q[0] started (about) */
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
    qjob *full; /* failing seeds to re-execute with full recording: full[full_next..nfull) */
    size_t nfull, full_next, full_cap;
    uint64_t full_kept; /* this invocation's failures chosen for full recording */
    int64_t batch_us;   /* when the open batch began; 0: none open */
    int64_t commit_us;  /* when the last batch was committed; 0: none yet */
    uint64_t done;      /* results received */
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
/* One seed's bare result: its row now, and a full job queued if it is to be recorded in
 * full; with c->items, item's result to c->on_result instead.  Takes f's bytes. */
void fl_sweep_handle_result(sweep *s, uint64_t item, fl_sweep_frame *f);
/* Before the loop: the scenario's pending rows (left by an interrupted or killed sweep)
 * become full jobs. */
int fl_sweep_load_pending(sweep *s, char *err, size_t cap);
/* The next full job to send, if any (and the sweep is not stopping on an error). */
int fl_sweep_next_full(sweep *s, qjob *j);
/* Give a full job back (its worker died before starting it). */
void fl_sweep_requeue_full(sweep *s, const qjob *j);
/* Feed w's full job q[0] from p[0..len): the bytes used; *finished once its run ended
 * (recorded, or failed and left bare). */
size_t fl_sweep_take_full(sweep *s, worker *w, const uint8_t *p, size_t len, int *finished);
/* w died (or was killed) during its full job q[0]: its bare row is what stays. */
void fl_sweep_full_lost(sweep *s, worker *w, const char *why);
/* Rows go in batches: open one before a write; commit when it is old (force: now). */
int fl_sweep_batch_open(sweep *s);
void fl_sweep_batch_commit(sweep *s, int force);
/* Full jobs still to send or in flight. */
int fl_sweep_full_left(const sweep *s);

#endif /* FL_SIM_SWEEP_IMPL_H */

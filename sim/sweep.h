/*
 * sweep.h -- the engine of `faultline sweep`: a parent process, N forked workers, a
 * libevent loop in the parent, and the parent as the only writer of the database.
 *
 * Seeds go to a worker over its own pipe (a few in flight so it never waits); the
 * worker runs each with fl_run (no database) and streams the run's records back, in
 * the wire encoding (sim/run/wire.h), on its result pipe.  A worker killed by a signal costs the
 * seed it was running (outcome crash); a seed over the scenario's wall watchdog gets
 * its worker SIGKILLed (outcome hang); either way a new worker takes over.  Failing
 * seeds are re-executed afterwards in the parent with full recording (--record
 * failures), and their digest is checked against the worker's.
 */
#ifndef FL_SIM_SWEEP_H
#define FL_SIM_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "sim/run/scenario.h"
#include "storage/db.h"

enum { FL_SWEEP_RECORD_NONE = 0, FL_SWEEP_RECORD_FAILURES, FL_SWEEP_RECORD_ALL };

/* One seed's run as it reached the parent: the wire frames (sim/run/wire.h) of its
 * run-level records -- RUN_BEGIN, the METRICs, RUN_END -- and the fields the parent
 * acts on.  A worker writes a run's frames in one write, after its RUN_END. */
typedef struct fl_sweep_frame {
    uint64_t seed;
    int64_t run_id; /* kept for full recording: the pending row */
    int outcome;    /* enum fl_outcome */
    char digest[17];
    uint8_t *bytes; /* owned: free with fl_sweep_frame_close */
    size_t len;
} fl_sweep_frame;

/* One run of an explicit list (recheck): its seed and the schedule it follows. */
typedef struct fl_sweep_item {
    uint64_t seed;
    const char *schedule; /* explicit schedule or script (the recorded one), or NULL */
} fl_sweep_item;

typedef struct fl_sweep_cfg {
    const fl_scenario *sc;
    const struct fl_protocol *proto;
    const char *scenario_text; /* the canonical scenario, for the workers */
    const char *plugin_path;   /* the plugin workers load (absolute), or NULL: built in */
    fl_db *db;
    int64_t scenario_id, sweep_id;
    uint64_t from, to;         /* inclusive */
    uint64_t shard_k, shard_n; /* 1-based; shard_n = 1: no sharding */
    const uint8_t *done;       /* bitmap over from..to: seeds already recorded, or NULL */
    int jobs;
    int record;          /* FL_SWEEP_RECORD_* */
    uint64_t record_max; /* failing seeds recorded in full, at most */
    uint64_t stop_after; /* 0: never */
    int progress;        /* 0 none, 1 terminal (\r line), 2 plain line every 10 s */
    /* Instead of the seeds from..to: run items[0..nitems) (from, to, shard, done and
     * record are then unused), and hand each result to on_result instead of writing
     * it: the engine writes nothing.  item is the result's index in items; f's bytes
     * stay the engine's.  A nonzero return (an FL_E code, message in err) stops the
     * run as a database error would. */
    const fl_sweep_item *items;
    size_t nitems;
    int (*on_result)(void *ctx, size_t item, const fl_sweep_frame *f, char *err, size_t cap);
    void *ctx;
    /* Items only (shrink's candidates): > 0 stops every run at this virtual time
     * (fl_run_job.stop_ns); items_lean: their frames leave out run_begin's schedule
     * (the caller has it), which spares a materialised schedule's round trip. */
    int64_t items_stop_ns;
    int items_lean;
} fl_sweep_cfg;

typedef struct fl_sweep_stats {
    uint64_t todo;            /* seeds this invocation had to run */
    uint64_t ran;             /* seeds finished (a row written) */
    uint64_t failed;          /* of which not ok */
    uint64_t recorded;        /* rows recorded in full */
    uint64_t mismatches;      /* re-executions whose digest differed */
    uint64_t resumed_pending; /* pending rows of earlier sweeps, recorded in full now */
    uint64_t pending;         /* rows still pending at the end (interrupted): resume records them */
    uint64_t by_outcome[16];
    int interrupted; /* SIGINT/SIGTERM */
    int stopped;     /* --stop-after reached */
    double wall_s;
} fl_sweep_stats;

/* Lock the scenario's sweeps of the database at db_path (sweep_lock.c): 0 with the lock
 * held by *fd (it lasts as long as the process or the fd), or FL_EINVAL with "another
 * sweep of this scenario is running ..." in err. */
int fl_sweep_lock(const char *db_path, int64_t scenario_id, int *fd, char *err, size_t cap);

/* Run the sweep.  0 when it ran (whatever the outcomes, interrupted or not), else a
 * negative FL_E code with a message in err (database write failed, fork failed). */
int fl_sweep_execute(const fl_sweep_cfg *c, fl_sweep_stats *st, char *err, size_t cap);

/* ---- between sweep.c and sweep_worker.c ---- */

#include <sys/types.h>

struct fl_worker_note;

/* A job, parent -> worker: a seed, the record kinds to stream back (FL_REC_BIT()s and
 * FL_REC_WANT_DESC), how (FL_FRAMES_*, sim/run/frames.h), and an explicit schedule or
 * script of schedule_len bytes that follows the job on the pipe (0: none). */
typedef struct fl_sweep_job {
    uint64_t seed;
    uint32_t wants;
    uint32_t flags;
    uint32_t schedule_len;
    uint32_t pad;
    int64_t stop_ns; /* > 0: the run stops at this virtual time (fl_run_job.stop_ns) */
} fl_sweep_job;
/* What a sweep's bare and full runs stream. */
#define FL_SWEEP_WANTS_BARE                                                                        \
    (FL_REC_BIT(FL_REC_RUN_BEGIN) | FL_REC_BIT(FL_REC_METRIC) | FL_REC_BIT(FL_REC_RUN_END))
#define FL_SWEEP_WANTS_FULL (FL_REC_ALL | FL_REC_WANT_DESC)
/* Send a job (and its schedule) down cmd_fd: 0, or -1 when the worker is gone. */
int fl_sweep_job_send(int cmd_fd, const fl_sweep_job *j, const char *schedule);

/* The worker's loop over its jobs (worker.c sets it up); never returns. */
_Noreturn void fl_sweep_worker_loop(const fl_scenario *sc, const struct fl_protocol *p, int cmd_fd,
                                    int res_fd);
/* The parent's half of a worker's start: fork, exec `faultline __worker`, send the setup
 * (scenario and protocol) and wait for its hello.  Returns 0 with *pid, the two pipe
 * ends and (when name is not NULL) the protocol's name, or -1 with a message in err
 * (the worker could not start, or said why not). */
int fl_sweep_worker_start(const fl_sweep_cfg *c, pid_t *pid, int *cmd_fd, int *res_fd,
                          struct fl_worker_note **note, char *name, size_t name_cap, char *err,
                          size_t cap);

/* A page the worker shares with its parent, written by the worker's fatal-signal
 * handler: the step that was running when protocol code crashed (a store, async-signal
 * safe), read by the parent after the worker died.  Requested with a non-NULL note to
 * fl_sweep_worker_start; release with fl_worker_note_free. */
typedef struct fl_worker_note {
    volatile uint64_t step;
    volatile int64_t time_ns;
    volatile int32_t signo;
    volatile int32_t crashed; /* nonzero once the handler ran inside a step */
} fl_worker_note;
void fl_worker_note_free(fl_worker_note *note);
/* Whole reads/writes, retrying on EINTR; -1 on EOF or error. */
int fl_sweep_read_full(int fd, void *p, size_t n);
int fl_sweep_write_full(int fd, const void *p, size_t n);
/* Take the frame of one run from the start of buf[0..len): 1 and *f (its bytes
 * copied), 0 when no run is complete yet, FL_EPARSE for a malformed stream.  *used
 * gets the bytes the run took. */
int fl_sweep_frame_take(const uint8_t *buf, size_t len, fl_sweep_frame *f, size_t *used);
/* A frame for a seed that produced no result (crash, hang, error). */
int fl_sweep_frame_failure(fl_sweep_frame *f, uint64_t seed, int outcome, const char *detail);
/* A frame for a seed whose run could not start (code: its FL_E code): outcome error,
 * check "setup", the code as fail_step. */
int fl_sweep_frame_setup_error(fl_sweep_frame *f, uint64_t seed, int code, const char *detail);
void fl_sweep_frame_close(fl_sweep_frame *f);

#endif /* FL_SIM_SWEEP_H */

/*
 * sweep.h -- the engine of `faultline sweep`: a parent process, N forked workers, a
 * libevent loop in the parent, and the parent as the only writer of the database.
 *
 * Seeds go to a worker over its own pipe (a few in flight so it never waits); the
 * worker runs each with fl_run_one (no database) and answers with one fixed-size
 * fl_sweep_frame per seed on its result pipe.  A worker killed by a signal costs the
 * seed it was running (outcome crash); a seed over the scenario's wall watchdog gets
 * its worker SIGKILLed (outcome hang); either way a new worker takes over.  Failing
 * seeds are re-executed afterwards in the parent with full recording (--record
 * failures), and their digest is checked against the worker's.
 */
#ifndef FL_SIM_SWEEP_H
#define FL_SIM_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"
#include "storage/db.h"

enum { FL_SWEEP_RECORD_NONE = 0, FL_SWEEP_RECORD_FAILURES, FL_SWEEP_RECORD_ALL };

/* One seed's result, worker -> parent.  Fixed size (< PIPE_BUF, so one atomic write). */
typedef struct fl_sweep_frame {
    uint64_t seed;
    int32_t outcome; /* enum fl_outcome */
    int32_t pad;
    uint64_t steps;
    int64_t sim_time_ns;
    uint64_t msgs_sent, msgs_delivered, msgs_dropped, faults;
    int64_t wall_us;
    int64_t fail_step, fail_time_ns;
    char digest[17];
    char check_name[64];
    char detail[256];
    /* The run's metrics as "name=value\n" lines (fault accounting, protocol counters),
     * so that a sweep's runs can be asked in SQL what they exercised.  Lines that do not
     * fit are left out (nmetrics_dropped says how many). */
    uint32_t nmetrics_dropped;
    char metrics[3000];
} fl_sweep_frame;

typedef struct fl_sweep_cfg {
    const fl_scenario *sc;
    const struct fl_protocol *proto;
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
} fl_sweep_cfg;

typedef struct fl_sweep_stats {
    uint64_t todo;       /* seeds this invocation had to run */
    uint64_t ran;        /* seeds finished (a row written) */
    uint64_t failed;     /* of which not ok */
    uint64_t recorded;   /* rows recorded in full */
    uint64_t mismatches; /* re-executions whose digest differed */
    uint64_t by_outcome[16];
    int interrupted; /* SIGINT/SIGTERM */
    int stopped;     /* --stop-after reached */
    double wall_s;
} fl_sweep_stats;

/* Run the sweep.  0 when it ran (whatever the outcomes, interrupted or not), else a
 * negative FL_E code with a message in err (database write failed, fork failed). */
int fl_sweep_execute(const fl_sweep_cfg *c, fl_sweep_stats *st, char *err, size_t cap);

/* ---- between sweep.c and sweep_worker.c ---- */

#include <sys/types.h>

/* The forked worker's life (signals blocked on entry); never returns. */
_Noreturn void fl_sweep_worker_main(const fl_sweep_cfg *c, int cmd_fd, int res_fd, pid_t parent);
/* Whole reads/writes, retrying on EINTR; -1 on EOF or error. */
int fl_sweep_read_full(int fd, void *p, size_t n);
int fl_sweep_write_full(int fd, const void *p, size_t n);
/* A frame back into a result (pointers into f). */
struct fl_run_result;
void fl_sweep_result_of_frame(const fl_sweep_frame *f, struct fl_run_result *r);
/* Call fn for each metric of the frame. */
void fl_sweep_frame_metrics(const fl_sweep_frame *f,
                            void (*fn)(void *ctx, const char *name, int64_t v), void *ctx);
/* A frame for a seed that produced no result (crash, hang, error). */
void fl_sweep_frame_failure(fl_sweep_frame *f, uint64_t seed, int outcome, const char *detail);

#endif /* FL_SIM_SWEEP_H */

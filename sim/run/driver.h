/*
 * driver.h -- what decides what happens next in a run.  Two drivers implement it:
 *
 *   automatic (drive_auto.c): deliveries after drawn latencies, timers firing by
 *     themselves, the fault schedule (explicit, or generated from the seed, with swarm
 *     mode applied once here), the per-message faults, and the workload;
 *   script (drive_script.c): the scripted mode of the seed's harness -- messages,
 *     timers and syncs held until the script names them.
 *
 * The world only steps (core/world.h); a driver sets it up (fl_world_driver, actions,
 * the network policy) and runs it to its end.  fl_run (run.h) picks the driver by the
 * scenario's network.mode.
 */
#ifndef FL_SIM_RUN_DRIVER_H
#define FL_SIM_RUN_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/world.h"
#include "sim/run/scenario.h"

typedef struct fl_driver fl_driver;

typedef struct fl_driver_ops {
    const char *name; /* "automatic", "script" */
    /* Set up world w, which has run no step.  text (may be NULL) is the explicit
     * schedule or script given with --schedule.  Errors (exit code 2) name the entry. */
    int (*init)(fl_driver *d, const fl_scenario *sc, fl_world *w, uint64_t seed, const char *text,
                size_t len, char *err, size_t cap);
    /* Run the world to its end. */
    void (*run)(fl_driver *d, fl_world *w);
    /* The schedule (or script) this run follows, as JSON text. */
    const char *(*schedule_json)(const fl_driver *d);
    /* The faults that took effect (runs.faults) and the one-line accounting. */
    uint64_t (*faults_effective)(const fl_driver *d);
    void (*faults_text)(const fl_driver *d, char *buf, size_t cap);
    /* A FAULT record per schedule entry, into s. */
    void (*emit_faults)(const fl_driver *d, fl_stream *s);
    void (*close)(fl_driver *d);
    /* After the last step, before the run's end records: may change the result (the
     * clients' linearizability check) and add metrics.  May be NULL. */
    void (*finish)(fl_driver *d, fl_world *w, fl_run_result *res);
} fl_driver_ops;

struct fl_driver {
    const fl_driver_ops *ops;
    void *impl; /* the driver's own state */
};

extern const fl_driver_ops fl_driver_automatic;
extern const fl_driver_ops fl_driver_script;

/* Write the schedule (or script) of d to path; errors name the file. */
int fl_driver_write_schedule(const fl_driver *d, const char *path, char *err, size_t cap);

#endif /* FL_SIM_RUN_DRIVER_H */

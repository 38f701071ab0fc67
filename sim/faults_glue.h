/*
 * faults_glue.h -- what a run does about faults and scripts: pick the schedule
 * (explicit, or generated from the seed), or the script in scripted mode; attach it to
 * the world; run; and hand the materialised schedule to the recorder.
 */
#ifndef FL_SIM_FAULTS_GLUE_H
#define FL_SIM_FAULTS_GLUE_H

#include "faults/apply.h"
#include "faults/schedule.h"
#include "sim/scenario.h"
#include "storage/recorder.h"

typedef struct fl_faults_glue {
    const fl_scenario *sc;
    fl_faults_config cfg; /* the scenario's, after swarm mode adjusted it for this seed */
    fl_net_faults net;
    fl_schedule *sched;
    fl_faults *faults;
    cJSON *script_owned; /* a script given as text */
    const cJSON *script; /* scripted mode: the script to follow */
    char *json;          /* schedule or script text, for runs.schedule_json */
} fl_faults_glue;

/* Set up faults for world w.  text (may be NULL) is an explicit schedule, or in
 * scripted mode a script; otherwise the schedule is generated from the seed and the
 * scripted mode uses the scenario's "script".  Errors (exit code 2) name the entry. */
int fl_faults_glue_init(fl_faults_glue *g, const fl_scenario *sc, fl_world *w, uint64_t seed,
                        const char *text, size_t len, char *err, size_t cap);
/* Run the world to its end: the script in scripted mode, the event loop otherwise. */
void fl_faults_glue_run(fl_faults_glue *g, fl_world *w);
/* The schedule (or script) as JSON text. */
const char *fl_faults_glue_json(const fl_faults_glue *g);
int fl_faults_glue_write(const fl_faults_glue *g, const char *path, char *err, size_t cap);
/* Faults that took effect (runs.faults). */
uint64_t fl_faults_glue_count(const fl_faults_glue *g);
/* The `faults` rows. */
void fl_faults_glue_record(const fl_faults_glue *g, fl_recorder *rec);
void fl_faults_glue_close(fl_faults_glue *g);

#endif /* FL_SIM_FAULTS_GLUE_H */

/*
 * script_scenario.h -- the scenario file that `faultline script` writes around a
 * converted run's script (results/script_from_run.h).  results/ internal.
 */
#ifndef FL_RESULTS_SCRIPT_SCENARIO_H
#define FL_RESULTS_SCRIPT_SCENARIO_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* The run's scenario (its canonical JSON, parsed) in scripted mode: its protocol, nodes,
 * params (bugs, initial state), crash policy, workload model with nprocs processes
 * (clients_model: the model is register or kv) and checks; nothing random or timed.
 * Named "<name>-run<run>-script".  Borrows scenario; the caller frees the result with
 * cJSON_Delete (NULL: out of memory). */
cJSON *fl_script_scenario(const cJSON *scenario, int64_t run, int clients_model, int nprocs);

/* The scenario's text with script as its last member: one line per section, one line
 * per script entry.  Caller frees with free(); NULL when out of memory. */
char *fl_script_print(const cJSON *scenario, const cJSON *script);

#endif /* FL_RESULTS_SCRIPT_SCENARIO_H */

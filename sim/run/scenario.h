/*
 * scenario.h -- scenario files: one JSON file describes a family of runs; the seed
 * picks one member.
 *
 * Every field has a default, so `{}` is a valid scenario (3-node Raft).  Every field is
 * validated; errors name the JSON path ("network.links[2].latency.min: expected a
 * duration such as \"150ms\", got 12").  Unknown keys are errors.  Durations are an
 * integer or decimal number with a unit (ns, us, ms, s, m).
 */
#ifndef FL_SIM_RUN_SCENARIO_H
#define FL_SIM_RUN_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/duration.h"
#include "core/world.h"
#include "faults/config.h"

#define FL_SCENARIO_MAX_BYTES (16 << 20)
#define FL_SCENARIO_MAX_LINKS 100000

/* workload.model: none keeps the fire-and-forget "set k v" requests; register and kv
 * run simulated client processes (sim/run/clients.h). */
enum fl_client_model { FL_MODEL_NONE = 0, FL_MODEL_REGISTER, FL_MODEL_KV };
/* workload.policy: the node a client asks. */
enum fl_client_policy { FL_POLICY_RANDOM = 0, FL_POLICY_STICKY };

typedef struct fl_clients_config {
    int model;           /* enum fl_client_model */
    int processes;       /* workload.clients */
    int64_t timeout_ns;  /* workload.timeout: no answer by then is info */
    int policy;          /* enum fl_client_policy */
    int keys;            /* workload.keys (kv) */
    int linearizable;    /* checks.linearizable is set: check the history at the end */
    uint64_t max_states; /* checks.max_states: the checker's budget */
} fl_clients_config;

/* faults.swarm_params as an object: the ranges to draw, each narrowed to [lo, hi]
 * (sim/run/swarm_params.h); with `true`, every range the protocol declares. */
#define FL_SWARM_NARROW_MAX 16
typedef struct fl_swarm_narrow {
    char name[48];
    int64_t lo, hi; /* durations in ns */
} fl_swarm_narrow;

typedef struct fl_scenario {
    char name[128];
    char protocol[128]; /* a built-in name, or "" when --protocol gives a plugin */
    int nodes;
    cJSON *params; /* owned; never NULL (an empty object by default) */
    int scripted;  /* network.mode == "scripted" */
    fl_latency latency;
    fl_link *links; /* owned */
    size_t nlinks;
    fl_net_faults net;
    fl_latency disk_sync;
    fl_faults_config faults;
    int64_t workload_every_ns; /* 0: no workload */
    int64_t workload_ops;      /* 0: unlimited */
    fl_clients_config clients;
    int64_t until_ns;
    uint64_t max_steps;
    int64_t liveness_ns;
    int64_t watchdog_ms; /* wall-clock limit of one run (run.watchdog) */
    cJSON *script;       /* owned; NULL unless the scenario has "script" */
    cJSON *json;         /* owned: the whole scenario with every default filled in */
    fl_swarm_narrow swarm_narrow[FL_SWARM_NARROW_MAX]; /* faults.swarm_params object */
    size_t nswarm_narrow;                              /* 0: all ranges (or swarm off) */
} fl_scenario;

/* Parse and validate scenario text.  sets[] are "path=value" overrides applied
 * before validation (value is JSON, or a bare string).  On success returns 0 and fills
 * *sc (free with fl_scenario_close); on failure returns FL_EPARSE/FL_EINVAL with a
 * one-line message in err naming the path. */
int fl_scenario_parse(fl_scenario *sc, const char *text, size_t len, const char *const *sets,
                      size_t nsets, char *err, size_t cap);
/* Read a file (path "-": standard input; NULL: the default scenario `{}`) and parse it.
 * A file with nothing but white space is "PATH: empty file". */
int fl_scenario_load(fl_scenario *sc, const char *path, const char *const *sets, size_t nsets,
                     char *err, size_t cap);
void fl_scenario_close(fl_scenario *sc);

#endif /* FL_SIM_RUN_SCENARIO_H */

/*
 * config.h -- what a scenario says about faults: the `faults` section and the
 * per-message part of the `network` section, already validated and in nanoseconds.
 *
 * sim/scenario.c fills it from JSON; faults/ turns it plus a seed into a schedule and a
 * network policy.  A rate of 0 (every_ns == 0) means the fault kind is off.
 */
#ifndef FL_FAULTS_CONFIG_H
#define FL_FAULTS_CONFIG_H

#include <stdint.h>

#include "core/world.h"

enum fl_partition_kind {
    FL_PART_ISOLATE = 0,
    FL_PART_HALVES,
    FL_PART_ONEWAY,
    FL_PART_BRIDGE,
    FL_PART_RING,
    FL_PART_KIND_COUNT
};

typedef struct fl_net_faults {
    double drop;            /* probability per message, inside the window */
    double duplicate;       /* probability per message */
    double spike;           /* probability that a message gets an extra delay */
    fl_latency spike_delay; /* the extra delay, uniform */
    int fifo;               /* links never reorder */
} fl_net_faults;

typedef struct fl_faults_config {
    int64_t window_from_ns, window_to_ns; /* to == 0: no window, faults for the whole run */
    int swarm;
    int swarm_params; /* draw params from the protocol's ranges per seed (sim/run/) */
    /* partitions */
    int64_t partition_every_ns, partition_duration_ns;
    unsigned partition_kinds; /* bit mask of 1u << enum fl_partition_kind */
    /* crash / restart */
    int64_t crash_every_ns, crash_down_ns;
    int unsynced; /* enum fl_unsynced */
    /* forced timeouts */
    int64_t timeout_every_ns;
    char timeout_timer[32]; /* "" = the protocol's first timer */
    /* clock drift */
    int64_t clock_every_ns;
    int32_t clock_max_ppm;
    /* disk read corruption of synced blocks (off by default) */
    double corrupt;
    /* Aimed kinds (issue 16, docs/faults.md "Aimed faults"), each off at every_ns 0 and
     * drawn from its own stream, so that they move none of the kinds above. */
    int64_t leader_crash_every_ns, leader_crash_down_ns;
    int64_t sync_crash_every_ns, sync_crash_down_ns, sync_crash_within_ns;
    int64_t leader_partition_every_ns, leader_partition_duration_ns;
    int64_t restart_partitioned_every_ns, restart_partitioned_down_ns,
        restart_partitioned_duration_ns;
    int64_t storm_every_ns, storm_spread_ns;
    char storm_timer[32]; /* "" = the protocol's first timer */
} fl_faults_config;

/* Nonzero when cfg switches on an aimed kind. */
static inline int fl_faults_config_aimed(const fl_faults_config *cfg)
{
    return cfg->leader_crash_every_ns > 0 || cfg->sync_crash_every_ns > 0 ||
           cfg->leader_partition_every_ns > 0 || cfg->restart_partitioned_every_ns > 0 ||
           cfg->storm_every_ns > 0;
}

#endif /* FL_FAULTS_CONFIG_H */
